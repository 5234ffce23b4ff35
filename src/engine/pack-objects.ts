// The owned objects each pack's label names, kept from the watch events as they come: pruning after an install
// and finding what a removed pack left look at one pack's objects, not at every object of the cluster (that
// made an install of n packs cost n² label checks; issue 15, item 3).
import type { KubernetesObject } from '@kubernetes/client-node';
import { refKey, type ObjectRef } from '../status/index.js';
import { Label } from './render.js';
import type { WatchSetEvent } from './watch-set.js';

export class PackObjects {
  /** Pack name → key → ref, in the order the watches first saw each object. */
  private readonly byPack = new Map<string, Map<string, ObjectRef>>();
  /** Key → the pack its label named when last seen. */
  private readonly packOf = new Map<string, string>();

  /** A WatchSet event: an owned object goes where its label puts it now; other events change nothing. */
  record(event: WatchSetEvent): void {
    if (event.type === 'Owned') this.place(event.ref, event.event.type, event.event.object);
  }

  private place(ref: ObjectRef, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubernetesObject): void {
    const key = refKey(ref);
    const pack = type === 'DELETED' ? undefined : object.metadata?.labels?.[Label.Pack];
    const before = this.packOf.get(key);
    if (before === pack) return;
    if (before !== undefined) {
      const objects = this.byPack.get(before);
      objects?.delete(key);
      if (objects?.size === 0) this.byPack.delete(before);
      this.packOf.delete(key);
    }
    if (pack === undefined) return;
    let objects = this.byPack.get(pack);
    if (objects === undefined) {
      objects = new Map();
      this.byPack.set(pack, objects);
    }
    objects.set(key, ref);
    this.packOf.set(key, pack);
  }

  /** The objects in the cluster labelled as `pack`'s. */
  of(pack: string): IterableIterator<ObjectRef> {
    return (this.byPack.get(pack) ?? NONE).values();
  }
}

const NONE: ReadonlyMap<string, ObjectRef> = new Map();
