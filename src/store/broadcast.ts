// Broadcasts between hub replicas (issue 16): a message every other process listening on the database receives
// at once, for what is not stored (the hub's ephemeral stream events: drift, attachment and profile changes).
// PostgreSQL NOTIFY carries it. A notification's payload must be shorter than 8000 bytes
// (https://www.postgresql.org/docs/current/sql-notify.html), so a longer message is cut into parts sent in one
// transaction: its notifications are delivered together, in the order sent, or not at all (a rollback), and the
// listener puts the parts back together. No table, so nothing to expire. Delivery is at most once: a message
// sent while a listener's connection is down is not delivered to it (what is stored is the events table's).
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { inTransaction, type StoreContext } from './context.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { listenPostgres, type Listening } from './listen.js';
import { Backend } from './url.js';

/** The channel of broadcasts (events use EVENTS_CHANNEL, which carries nothing). */
export const BROADCAST_CHANNEL = 'strata_broadcast';

/** Characters of message per notification: the payload is ASCII (see `asciiJson`), under 8000 bytes with its header. */
const PART_CHARS = 7800;

/** A longer message is refused: a broadcast is a view, not a bulk transfer (the queue is shared by everyone). */
export const MAX_BROADCAST_CHARS = 1024 * 1024;

/**
 * The parts of a message as notification payloads: `<id> <index>/<count> <text>`. The text must be ASCII
 * (one byte per character), so a part's length is its size and no cut falls inside a character.
 */
export function broadcastParts(message: string, id: string = randomUUID()): string[] {
  if (!/^[\x20-\x7e]*$/.test(message))
    throw new StoreError(
      StoreErrorCode.InvalidInput,
      'a broadcast message must be printable ASCII (asciiJson)',
    );
  const count = Math.max(1, Math.ceil(message.length / PART_CHARS));
  return Array.from(
    { length: count },
    (_, i) =>
      `${id} ${String(i + 1)}/${String(count)} ${message.slice(i * PART_CHARS, (i + 1) * PART_CHARS)}`,
  );
}

/** JSON with every non-ASCII character escaped (`\uXXXX`): the same value, one byte per character. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const PART = /^(\S+) (\d+)\/(\d+) ([\s\S]*)$/;

/** Puts parts back together; a message whose parts come out of order or incomplete is dropped, and said. */
export class BroadcastAssembler {
  private current: { id: string; count: number; parts: string[] } | undefined;

  constructor(
    private readonly onMessage: (message: string) => void,
    private readonly onDropped: (why: string) => void,
  ) {}

  part(payload: string): void {
    const match = PART.exec(payload);
    if (!match) {
      this.onDropped(`a notification that is not a broadcast part (${String(payload.length)} characters)`);
      return;
    }
    const [, id = '', index = '', count = '', text = ''] = match;
    if (Number(index) === 1) {
      if (this.current) this.onDropped(`broadcast ${this.current.id} ended before its last part`);
      this.current = { id, count: Number(count), parts: [] };
    }
    const current = this.current;
    if (current?.id !== id || current.parts.length + 1 !== Number(index)) {
      this.onDropped(`broadcast ${id}: part ${index}/${count} out of order`);
      this.current = undefined;
      return;
    }
    current.parts.push(text);
    if (current.parts.length === current.count) {
      this.current = undefined;
      this.onMessage(current.parts.join(''));
    }
  }

  /** The connection was lost: a message in progress will not be completed. */
  reset(): void {
    this.current = undefined;
  }
}

/** Sends `message` to every listener (PostgreSQL); a no-op elsewhere (one process owns a SQLite store). */
export async function broadcast(ctx: StoreContext, message: string): Promise<void> {
  if (ctx.backend !== Backend.Postgres) return;
  if (message.length > MAX_BROADCAST_CHARS) {
    throw new StoreError(
      StoreErrorCode.InvalidInput,
      `a broadcast of ${String(message.length)} characters is over the ${String(MAX_BROADCAST_CHARS)} allowed`,
    );
  }
  const parts = broadcastParts(message);
  await inTransaction(ctx, async (tx) => {
    for (const part of parts) await sql`select pg_notify(${BROADCAST_CHANNEL}, ${part})`.execute(tx.db);
  });
}

/** Listens for broadcasts on a connection of its own; `onMessage` gets each whole message, in commit order. */
export async function listenForBroadcasts(
  url: string,
  onMessage: (message: string) => void,
  onError: (error: Error) => void,
): Promise<Listening> {
  const assembler = new BroadcastAssembler(onMessage, (why) => {
    onError(new Error(`broadcast dropped: ${why}`));
  });
  return listenPostgres(
    url,
    BROADCAST_CHANNEL,
    (payload) => {
      assembler.part(payload);
    },
    (error) => {
      assembler.reset();
      onError(error);
    },
  );
}
