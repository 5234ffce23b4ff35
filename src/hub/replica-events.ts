// The store's events as a hub replica sees them (issue 16): every event any replica commits, exactly once, in
// id order. The events table is the truth: the tail reads `id > last seen` in order, page by page; a
// notification (PostgreSQL LISTEN/NOTIFY, sent by each committing transaction) or a local commit only wakes it,
// and a poll covers a notification lost while the listening connection was down. Ids become visible in commit
// order (the event-order lock, src/store/transitions.ts), so reading past an id never skips one committed later.
import type { EventListener, Listening, Store, StoredEvent } from '../store/index.js';
import { message } from './errors.js';

export interface EventTailOptions {
  /** How often the table is read without a wake-up. Default 1 s. */
  readonly pollMs?: number;
  /** Awaited before each page is delivered (the views of packs driven elsewhere are prepared there). */
  readonly before?: (events: readonly StoredEvent[]) => Promise<void>;
  readonly log: (message: string) => void;
}

const PAGE = 1000;

export class EventTail {
  private readonly listeners = new Set<EventListener>();
  private lastSeen = 0;
  private reading: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private listening: Listening | undefined;
  private unsubscribeLocal: (() => void) | undefined;
  private closed = false;
  private failing = false;

  constructor(
    private readonly store: Store,
    private readonly options: EventTailOptions,
  ) {}

  /** From the newest event now: what was committed before is for `eventsSince`. */
  async start(): Promise<void> {
    this.lastSeen = await this.store.history.latestId();
    this.unsubscribeLocal = this.store.onEvents(() => {
      this.wake();
    });
    await this.listen();
    this.timer = setInterval(() => {
      this.wake();
      if (!this.listening) void this.listen();
    }, this.options.pollMs ?? 1000);
    this.timer.unref();
  }

  readonly subscribe = (listener: EventListener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The highest id delivered. */
  get position(): number {
    return this.lastSeen;
  }

  /** Resolves once everything committed before the call is delivered (tests). */
  async caughtUp(): Promise<void> {
    this.wake();
    while (this.reading) await this.reading;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribeLocal?.();
    await this.reading;
    await this.listening?.close();
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    try {
      this.listening = await this.store.listenForEvents(
        () => {
          this.wake();
        },
        (error) => {
          this.options.log(
            `strata: event notifications lost (${error.message}); reading the events table each second`,
          );
          const lost = this.listening;
          this.listening = undefined;
          void lost?.close();
        },
      );
    } catch (error) {
      this.options.log(`strata: cannot listen for event notifications: ${message(error)}`);
    }
  }

  private wake(): void {
    if (this.closed) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.read().finally(() => {
      this.reading = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async read(): Promise<void> {
    try {
      for (;;) {
        const page = await this.store.eventsSince(this.lastSeen, { limit: PAGE });
        if (page.length === 0) break;
        // Views are best effort (a pack without one is sent unplaced): they never hold the stream back.
        await this.options.before?.(page).catch((error: unknown) => {
          this.options.log(`strata: could not prepare the views of new events: ${message(error)}`);
        });
        this.lastSeen = (page.at(-1) as StoredEvent).id;
        for (const listener of this.listeners) {
          try {
            listener(page);
          } catch (error) {
            this.options.log(`strata: an event listener failed: ${message(error)}`);
          }
        }
        if (page.length < PAGE) break;
      }
      this.failing = false;
    } catch (error) {
      // The database does not answer: the next wake-up or poll reads from the same place.
      if (!this.failing) this.options.log(`strata: cannot read new events: ${message(error)}`);
      this.failing = true;
    }
  }
}
