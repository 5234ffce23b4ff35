// The owned objects each pack's label names, kept from the watch events as they come: pruning after an install
// and finding what a removed pack left look at one pack's objects, not at every object of the cluster (that
// made an install of n packs cost n² label checks; issue 15, item 3).
import type { KubernetesObject } from '@kubernetes/client-node';
import { refKey, type ObjectRef } from '../status/index.js';
import { Label } from './render.js';
import type { WatchSetEvent } from './watch-set.js';

/**
 * One pack's objects, in the order the watches first saw each: an array while they are few (a Map is ~350 bytes
 * however few it holds, kept per pack: issue 15, what an install retains per pack), a Map by key past that.
 */
type Objects = ObjectRef[] | Map<string, ObjectRef>;

/** Up to this many objects a pack's are kept in an array, found by comparing keys. */
const FEW = 8;

export class PackObjects {
  /** Pack name → its objects. */
  private readonly byPack = new Map<string, Objects>();
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
      this.forget(before, key);
      this.packOf.delete(key);
    }
    if (pack === undefined) return;
    const objects = this.byPack.get(pack);
    if (objects === undefined) this.byPack.set(pack, [ref]);
    else if (!Array.isArray(objects)) objects.set(key, ref);
    else if (objects.length < FEW) objects.push(ref);
    else this.byPack.set(pack, new Map([...objects, ref].map((r) => [refKey(r), r])));
    this.packOf.set(key, pack);
  }

  private forget(pack: string, key: string): void {
    const objects = this.byPack.get(pack);
    if (objects === undefined) return;
    if (Array.isArray(objects)) {
      const index = objects.findIndex((r) => refKey(r) === key);
      if (index >= 0) objects.splice(index, 1);
    } else objects.delete(key);
    if ((Array.isArray(objects) ? objects.length : objects.size) === 0) this.byPack.delete(pack);
  }

  /** The objects in the cluster labelled as `pack`'s. */
  of(pack: string): IterableIterator<ObjectRef> {
    return (this.byPack.get(pack) ?? NONE).values();
  }
}

const NONE: readonly ObjectRef[] = [];
