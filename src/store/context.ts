// What every repository works with: the database handle (the root one, or the transaction it runs in), the
// cipher, the clock, and the listeners that hear about committed events.
import type { Kysely } from 'kysely';
import type { Cipher } from './crypto.js';
import { constraintKind } from './db-errors.js';
import { StoreError, StoreErrorCode } from './errors.js';
import type { Database } from './schema.js';
import type { StoredEvent } from './transitions.js';
import type { Backend } from './url.js';

export type EventListener = (events: readonly StoredEvent[]) => void;

/** Per transaction: the events it appended, published only after it commits. */
export interface TransactionState {
  readonly appended: StoredEvent[];
  /** Whether this transaction already holds the PostgreSQL event-order lock (see transitions.ts). */
  eventLock: boolean;
}

export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly backend: Backend;
  readonly cipher: Cipher;
  readonly now: () => Date;
  /** Set inside a transaction. */
  readonly tx: TransactionState | undefined;
  readonly listeners: Set<EventListener>;
}

export type TransactionContext = StoreContext & { readonly tx: TransactionState };

/** The root context: its `db` refuses use after close() with a typed error instead of a driver message. */
export class RootContext implements StoreContext {
  readonly tx = undefined;
  readonly listeners = new Set<EventListener>();
  #closed = false;

  constructor(
    private readonly kysely: Kysely<Database>,
    readonly backend: Backend,
    readonly cipher: Cipher,
    readonly now: () => Date,
  ) {}

  get db(): Kysely<Database> {
    if (this.#closed) throw new StoreError(StoreErrorCode.Closed, 'the store is closed');
    return this.kysely;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.kysely.destroy();
  }
}

/**
 * Runs `fn` in a transaction: the caller's if there is one (so repository methods compose inside
 * `store.transaction`), else a new one. Events are published to listeners once the outermost commit is done,
 * never for a rolled-back write.
 */
export async function inTransaction<T>(
  ctx: StoreContext,
  fn: (tx: TransactionContext) => Promise<T>,
): Promise<T> {
  if (ctx.tx !== undefined) return fn(ctx as TransactionContext);
  const state: TransactionState = { appended: [], eventLock: false };
  let result: T;
  try {
    result = await ctx.db.transaction().execute((trx) =>
      fn({
        db: trx,
        backend: ctx.backend,
        cipher: ctx.cipher,
        now: ctx.now,
        tx: state,
        listeners: ctx.listeners,
      }),
    );
  } catch (error) {
    // Repositories turn the constraint errors they expect into specific codes; any other one still leaves
    // the store as a typed error, never as a driver's.
    const kind = error instanceof StoreError ? undefined : constraintKind(error);
    if (kind === undefined) throw error;
    throw new StoreError(
      StoreErrorCode.Constraint,
      `the write was rolled back: ${kind} constraint violated`,
      {
        cause: error,
      },
    );
  }
  if (state.appended.length > 0) publish(ctx.listeners, state.appended);
  return result;
}

function publish(listeners: ReadonlySet<EventListener>, events: readonly StoredEvent[]): void {
  for (const listener of listeners) {
    try {
      listener(events);
    } catch (error) {
      // The write is committed; a failing listener must not turn it into an error for the writer, nor
      // stop the other listeners. Surface it without crashing the hub.
      process.emitWarning(`store event listener failed: ${String(error)}`, { type: 'StrataStoreWarning' });
    }
  }
}

export function nowIso(ctx: StoreContext): string {
  return ctx.now().toISOString();
}
