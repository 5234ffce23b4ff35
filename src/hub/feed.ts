// The live stream: every store event as it commits (and since an id, for a client that reconnects), plus the
// hub's ephemeral events. Store events leave as views (stream-events.ts): a pack's status as the page shows
// it, built and redacted with what the fleet knows of the pack, and after every change of a cluster's packs
// that cluster's summary, so no client recomputes a colour or a count.
import type { EventListener, Store, StoredEvent } from '../store/index.js';
import { message } from './errors.js';
import { streamEvent, type HubEvent, type PackContext } from './stream-events.js';

export type { HubEvent } from './stream-events.js';

/** How the other services publish: they get this function, not the feed. */
export type Emit = (event: HubEvent) => void;

export interface FeedOptions {
  /** What a pack's view is built from, while the hub runs it. */
  readonly packContext: (cluster: string, pack: string) => PackContext | undefined;
  /** Publishes the cluster's summary (after its packs or its registration changed). */
  readonly summarize: (cluster: string) => void;
  readonly log: (message: string) => void;
  /**
   * Where committed events come from: by default this process's commits (`store.onEvents`); hub replicas pass
   * their tail of the events table (replica-events.ts), which has every replica's, in commit order.
   */
  readonly events?: (listener: EventListener) => () => void;
  /** Awaited before stored events are turned into views for a resuming client (replicas plan packs here). */
  readonly prepare?: (events: readonly StoredEvent[]) => Promise<void>;
}

export class Feed {
  private readonly listeners = new Set<(event: HubEvent) => void>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly options: FeedOptions,
  ) {
    const events = options.events ?? ((listener: EventListener) => store.onEvents(listener));
    this.unsubscribe = events((events) => {
      const changed = new Set<string>();
      for (const stored of events) {
        const event = streamEvent(stored, options.packContext);
        this.emit(event);
        if (event.kind !== 'pack.transition' && event.kind !== 'cluster.removed') changed.add(stored.cluster);
      }
      for (const cluster of changed) options.summarize(cluster);
    });
  }

  subscribe(listener: (event: HubEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async eventsSince(
    afterId: number,
    options: { cluster?: string; limit?: number } = {},
  ): Promise<HubEvent[]> {
    const stored = await this.store.eventsSince(afterId, options);
    await this.options.prepare?.(stored);
    return stored.map((e) => streamEvent(e, this.options.packContext));
  }

  /** The highest event id retention deleted (0: none): a resume from below it has lost events. */
  prunedThrough(cluster?: string): Promise<number> {
    return this.store.history.prunedThrough(cluster);
  }

  readonly emit: Emit = (event) => {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.options.log(`strata: an event listener failed: ${message(error)}`);
      }
    }
  };

  close(): void {
    this.unsubscribe();
  }
}
