import type { CoreV1Event } from '@kubernetes/client-node';

export interface WarningEventLimits {
  /** Reasons kept per involved object (the latest event of each). */
  readonly perObject: number;
  /** Involved objects kept; past this the one warned about least recently is forgotten. */
  readonly objects: number;
}

const DEFAULT_LIMITS: WarningEventLimits = { perObject: 4, objects: 2000 };

/**
 * Recent Warning events by involved object uid, bounded so a noisy cluster cannot grow the hub: per object the
 * latest event of each reason (a BackOff repeated 500 times is one entry), a few reasons, a capped number of
 * objects. What src/status/root-cause.ts reads through RelatedObjects.warningEventsFor.
 */
export class WarningEvents {
  /** Oldest first per object; the map's insertion order is recency across objects. */
  readonly #byUid = new Map<string, CoreV1Event[]>();

  constructor(private readonly limits: WarningEventLimits = DEFAULT_LIMITS) {}

  /** Records an added/modified/deleted event; returns the involved uid when it is a Warning about an object. */
  record(event: CoreV1Event, deleted: boolean): string | undefined {
    const uid = event.involvedObject.uid;
    if (uid === undefined || event.type !== 'Warning') return undefined;
    const name = event.metadata.name;
    const kept = (this.#byUid.get(uid) ?? []).filter(
      (e) => e.metadata.name !== name && (deleted || e.reason !== event.reason),
    );
    if (!deleted) kept.push(event);
    this.#byUid.delete(uid);
    if (kept.length > 0) this.#byUid.set(uid, kept.slice(-this.limits.perObject));
    while (this.#byUid.size > this.limits.objects) {
      const oldest = this.#byUid.keys().next().value;
      if (oldest === undefined) break;
      this.#byUid.delete(oldest);
    }
    return uid;
  }

  for(uid: string): readonly CoreV1Event[] {
    return this.#byUid.get(uid) ?? [];
  }

  /** The object is gone: its events explain nothing any more. */
  forget(uid: string): void {
    this.#byUid.delete(uid);
  }

  /** The namespace is no longer watched: what its events said is no longer kept current. */
  forgetNamespace(namespace: string): void {
    for (const [uid, events] of this.#byUid)
      if (events[0]?.metadata.namespace === namespace) this.#byUid.delete(uid);
  }

  get size(): number {
    return this.#byUid.size;
  }
}
