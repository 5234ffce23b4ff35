// The live stream: every store event as it commits (and since an id, for a client that reconnects), plus the
// hub's ephemeral events, each redacted with its pack's redactor before any listener sees it.
import type { Redactor } from '../profile/index.js';
import type { Store, StoredEvent } from '../store/index.js';
import { message } from './errors.js';
import type { DriftView } from './views.js';

/** A change of the live stream: a persisted store event (with its id), or an ephemeral one (no id). */
export type HubEvent =
  | {
      readonly id: number;
      readonly kind: string;
      readonly cluster?: string;
      readonly pack?: string;
      readonly time: string;
      readonly data: unknown;
    }
  | {
      readonly id?: undefined;
      readonly kind: 'cluster.connection';
      readonly cluster: string;
      readonly time: string;
      readonly data: { readonly reachable: boolean; readonly error?: string };
    }
  | {
      readonly id?: undefined;
      readonly kind: 'pack.drift';
      readonly cluster: string;
      readonly pack: string;
      readonly time: string;
      readonly data: DriftView;
    };

/** How the other services publish: they get this function, not the feed. */
export type Emit = (event: HubEvent) => void;

export class Feed {
  private readonly listeners = new Set<(event: HubEvent) => void>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    /** The current redactor of a pack, when the hub still runs it. */
    private readonly redactorOf: (cluster: string, pack: string) => Redactor | undefined,
    private readonly log: (message: string) => void,
  ) {
    this.unsubscribe = store.onEvents((events) => {
      for (const event of events) this.emit(this.redacted(toHubEvent(event)));
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
    return (await this.store.eventsSince(afterId, options)).map((e) => this.redacted(toHubEvent(e)));
  }

  readonly emit: Emit = (event) => {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log(`strata: an event listener failed: ${message(error)}`);
      }
    }
  };

  close(): void {
    this.unsubscribe();
  }

  /**
   * Status events carry the same messages as the page, so they pass through the same redactor: a sensitive
   * value that reached a resource message (an env var echoed in an error) never reaches a stream client.
   */
  private redacted(event: HubEvent): HubEvent {
    if (event.id === undefined || !event.cluster || !event.pack) return event;
    const redactor = this.redactorOf(event.cluster, event.pack);
    if (!redactor) return event;
    return { ...event, data: redactor.redactDeep(event.data) };
  }
}

function toHubEvent(event: StoredEvent): HubEvent {
  const { id, kind, time, cluster, ...data } = event;
  const pack = 'pack' in event ? event.pack : undefined;
  return { id, kind, time, ...(cluster ? { cluster } : {}), ...(pack ? { pack } : {}), data };
}
