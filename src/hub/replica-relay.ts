// Ephemeral stream events across hub replicas (issue 16). What the stream carries without storing it (drift,
// attachment and profile changes) is emitted by the replica where it happened; the relay sends it to the other
// replicas (a store broadcast: PostgreSQL NOTIFY), and each of them emits it once to its own streams. The sender
// ignores its own broadcast (it emitted the event already), so it is never echoed.
//
// Order: a relayed event carries how far the sender's stream had got in the events table (`after`) when it was
// emitted, and a receiver holds it until its own stream has delivered that far. So a client on any replica sees
// an ephemeral event after the stored events that preceded it on the replica where it happened (an attachment
// view after the cluster's registration, a drift after the statuses it followed), and relayed events keep the
// order they were sent in. Connection and summary events are not relayed: they are state every replica derives
// (the summary from the stored events, the driver's connection from its lease, replica.ts) and sends itself;
// when the driver's connection changes it stores it in the lease at once and sends `leasesChanged`, on which the
// others read the leases now rather than at their next round. The lease is the one truth, so a connection that
// flaps cannot reach another replica's streams out of order.
import { asciiJson, type Listening, type Store } from '../store/index.js';
import { message } from './errors.js';
import type { Emit } from './feed.js';
import { StreamEventSchema, type HubEvent, type HubEventKind } from './stream-events.js';

/** Which stream events are relayed: adding a kind breaks the build until it is decided here. */
export const relayedKinds: Record<HubEventKind, boolean> = {
  // Stored: every replica's tail of the events table delivers them.
  'pack.status': false,
  'pack.transition': false,
  'pack.removed': false,
  'cluster.registered': false,
  'cluster.updated': false,
  'cluster.removed': false,
  // Derived by every replica (see the header); a change of the driver's is announced by `leasesChanged`.
  'cluster.connection': false,
  'cluster.summary': false,
  // Ephemeral, known only where they happen.
  'pack.drift': true,
  'attachment.changed': true,
  'attachment.removed': true,
  'profile.published': true,
  // Written by a stream to its own client only, never published.
  'history.pruned': false,
};

interface Relayed {
  /** The replica that emitted the event. */
  readonly from: string;
  /** The id of the last stored event its stream had delivered then. */
  readonly after: number;
  readonly event: HubEvent;
}

/** The sender stored what it knows of its clusters' connections in their leases: read them now. */
interface LeasesChanged {
  readonly from: string;
  readonly leases: true;
}

type RelayMessage = Relayed | LeasesChanged;

export interface RelayOptions {
  /** This replica's id: its own broadcasts are not emitted again. */
  readonly id: string;
  /** How far this replica's stream has delivered the events table (EventTail.position). */
  readonly position: () => number;
  /** Emits a relayed event to this replica's streams only. */
  readonly deliver: Emit;
  /** Another replica changed what its leases say of its clusters (replica.ts reads them again). */
  readonly onLeasesChanged?: () => void;
  readonly log: (message: string) => void;
}

export class EventRelay {
  /** Sends one broadcast at a time, so they commit in the order the events were emitted. */
  private sending: Promise<void> = Promise.resolve();
  /** Received, waiting for this replica's stream to reach their `after`. */
  private readonly waiting: Relayed[] = [];
  private listening: Listening | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: Pick<Store, 'broadcast' | 'listenForBroadcasts'>,
    private readonly options: RelayOptions,
  ) {}

  async start(): Promise<void> {
    await this.listen();
  }

  /** Relays an event this replica emitted (kinds not relayed are ignored). */
  readonly publish: Emit = (event) => {
    if (!relayedKinds[event.kind]) return;
    this.send({ from: this.options.id, after: this.options.position(), event }, `a ${event.kind} event`);
  };

  /** Tells the other replicas to read the leases now (this one just stored a change of its clusters' state). */
  readonly leasesChanged = (): void => {
    this.send({ from: this.options.id, leases: true }, 'a change of its leases');
  };

  private send(body: RelayMessage, what: string): void {
    if (this.closed) return;
    this.sending = this.sending.then(() =>
      this.store.broadcast(asciiJson(body)).catch((error: unknown) => {
        this.options.log(
          `strata: replica ${this.options.id}: ${what} was not sent to the other replicas: ${message(error)}`,
        );
      }),
    );
  }

  /** This replica's stream delivered more stored events: relayed events that waited for them go out now. */
  readonly caughtUp = (): void => {
    const position = this.options.position();
    while (this.waiting.length > 0 && (this.waiting[0] as Relayed).after <= position) {
      this.options.deliver((this.waiting.shift() as Relayed).event);
    }
  };

  /** Resolves once every event published so far has been sent (tests). */
  async sent(): Promise<void> {
    await this.sending;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    await this.sending;
    await this.listening?.close();
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    try {
      this.listening = await this.store.listenForBroadcasts(
        (text) => {
          this.receive(text);
        },
        (error) => {
          this.options.log(
            `strata: replica ${this.options.id}: events of the other replicas may be missed (${error.message}); listening again`,
          );
          const lost = this.listening;
          this.listening = undefined;
          void lost?.close();
          this.listenSoon();
        },
      );
    } catch (error) {
      this.options.log(
        `strata: replica ${this.options.id}: cannot listen for the other replicas' events: ${message(error)}`,
      );
      this.listenSoon();
    }
  }

  private listenSoon(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.listen();
    }, 1000);
    this.retry.unref();
  }

  private receive(text: string): void {
    const relayed = parseRelayed(text);
    if (!relayed) {
      this.options.log(`strata: replica ${this.options.id}: a relayed event that is not one was ignored`);
      return;
    }
    if (relayed.from === this.options.id) return;
    if ('leases' in relayed) {
      this.options.onLeasesChanged?.();
      return;
    }
    this.waiting.push(relayed);
    this.caughtUp();
  }
}

/** A broadcast as a relay message, or undefined when it is not one (another version's, or damaged). */
export function parseRelayed(text: string): RelayMessage | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { from, after, event, leases } = raw as Record<string, unknown>;
  if (typeof from !== 'string') return undefined;
  if (leases === true) return { from, leases };
  if (typeof after !== 'number') return undefined;
  const parsed = StreamEventSchema.safeParse(event);
  if (!parsed.success || !relayedKinds[parsed.data.kind]) return undefined;
  return { from, after, event: parsed.data };
}
