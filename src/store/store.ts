import { sql, type Kysely } from 'kysely';
import { AttachmentsRepository } from './attachments.js';
import { AgentsRepository } from './agents.js';
import { broadcast, listenForBroadcasts } from './broadcast.js';
import { ClustersRepository } from './clusters.js';
import { inTransaction, RootContext, type EventListener, type StoreContext } from './context.js';
import { Cipher, parseSecretKey } from './crypto.js';
import { connect } from './dialect.js';
import { isStoreError, StoreError, StoreErrorCode } from './errors.js';
import { migrateToLatest } from './migrations/index.js';
import { EVENTS_CHANNEL, listenPostgres, type Listening } from './listen.js';
import { AuditRepository } from './audit.js';
import { HealthRulesRepository } from './health-rules.js';
import { LeasesRepository } from './leases.js';
import { BlobsRepository } from './blobs.js';
import { ChartSourcesRepository, PinnedChartsRepository } from './chart-sources.js';
import { PackStatusRepository } from './pack-status.js';
import { ProfilesRepository } from './profiles.js';
import { RendersRepository } from './renders.js';
import type { Database } from './schema.js';
import { TokensRepository } from './tokens.js';
import { HistoryRepository, type EventsSinceOptions, type StoredEvent } from './transitions.js';
import { parseDatabaseUrl, redactUrl, type Backend } from './url.js';

export interface StoreOptions {
  /** A SQLite path (`sqlite:<path>`, a bare path, `:memory:`) or `postgres://…`. */
  readonly url: string;
  /**
   * The 32-byte key that seals kubeconfigs and sensitive values: raw bytes or base64 (STRATA_SECRET_KEY, or
   * `loadOrCreateKeyFile(dataDir)`). The store never reads the environment itself.
   */
  readonly secretKey: string | Uint8Array;
  /** The clock, for tests. */
  readonly now?: () => Date;
  /** PostgreSQL connection pool size (default 10). */
  readonly poolSize?: number;
  /** How long a SQLite writer waits for another process's lock (default 10 s). */
  readonly busyTimeoutMs?: number;
  /** PostgreSQL: a transaction idle this long in its client is ended by the server (default 8 s, dialect.ts). */
  readonly stalledTransactionTimeoutMs?: number;
}

/** The repositories; inside `store.transaction` they all share that transaction. */
export interface Repositories {
  readonly clusters: ClustersRepository;
  /** Agent clusters' tokens and status streams (issue 16). */
  readonly agents: AgentsRepository;
  readonly profiles: ProfilesRepository;
  readonly blobs: BlobsRepository;
  readonly attachments: AttachmentsRepository;
  readonly renders: RendersRepository;
  readonly packStatus: PackStatusRepository;
  readonly history: HistoryRepository;
  readonly audit: AuditRepository;
  readonly tokens: TokensRepository;
  readonly healthRules: HealthRulesRepository;
  readonly chartSources: ChartSourcesRepository;
  readonly pinnedCharts: PinnedChartsRepository;
  /** Hub replicas' heartbeats and the cluster leases they drive clusters under (issue 16). */
  readonly leases: LeasesRepository;
}

export interface Store extends Repositories {
  readonly backend: Backend;
  /** `history.since`: every event after `afterId`, oldest first (the SSE resume point). */
  eventsSince(afterId: number, options?: EventsSinceOptions): Promise<StoredEvent[]>;
  /**
   * Runs `fn` in one transaction: everything it writes commits together or not at all. A thrown error rolls
   * back and is rethrown. Keep it short: on SQLite it holds the only write lock.
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * Called with the events of each committed transaction, in id order, in this process (the SSE stream's
   * wake-up; other hub replicas read `eventsSince`). Returns the unsubscribe function.
   */
  onEvents(listener: EventListener): () => void;
  /**
   * Calls `onCommit` whenever any process commits events (PostgreSQL LISTEN/NOTIFY: the wake-up of hub
   * replicas, who then read `eventsSince`). On SQLite, where one process owns the data dir, it never fires.
   */
  listenForEvents(onCommit: () => void, onError: (error: Error) => void): Promise<Listening>;
  /**
   * Sends a message (printable ASCII, see `asciiJson`) to every process's `listenForBroadcasts` on the same
   * PostgreSQL database, this one's included, at most once each (broadcast.ts); on SQLite it does nothing.
   */
  broadcast(message: string): Promise<void>;
  /** Calls `onMessage` with every broadcast, in commit order (PostgreSQL; on SQLite it never fires). */
  listenForBroadcasts(
    onMessage: (message: string) => void,
    onError: (error: Error) => void,
  ): Promise<Listening>;
  /** Throws DATABASE_UNAVAILABLE when the database does not answer: for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

function repositories(ctx: StoreContext): Repositories {
  return {
    clusters: new ClustersRepository(ctx),
    agents: new AgentsRepository(ctx),
    profiles: new ProfilesRepository(ctx),
    blobs: new BlobsRepository(ctx),
    attachments: new AttachmentsRepository(ctx),
    renders: new RendersRepository(ctx),
    packStatus: new PackStatusRepository(ctx),
    history: new HistoryRepository(ctx),
    audit: new AuditRepository(ctx),
    healthRules: new HealthRulesRepository(ctx),
    tokens: new TokensRepository(ctx),
    chartSources: new ChartSourcesRepository(ctx),
    pinnedCharts: new PinnedChartsRepository(ctx),
    leases: new LeasesRepository(ctx),
  };
}

const KEY_ID = 'secret_key_id';

/**
 * The first open records which key the store is sealed with; later opens with another key fail here, at
 * start, with a clear message, rather than on the first kubeconfig read minutes later.
 */
async function checkKey(db: Kysely<Database>, cipher: Cipher): Promise<void> {
  await db
    .insertInto('strata_meta')
    .values({ key: KEY_ID, value: cipher.keyId })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('strata_meta')
    .select('value')
    .where('key', '=', KEY_ID)
    .executeTakeFirstOrThrow();
  if (row.value !== cipher.keyId) {
    throw new StoreError(
      StoreErrorCode.SecretKeyMismatch,
      `this database was set up with secret key ${row.value}, but the key given has id ${cipher.keyId}: ` +
        'set STRATA_SECRET_KEY (or the data directory key file) to the original key',
    );
  }
}

/** Opens (creating if needed) and migrates the database at `options.url`. */
export async function createStore(options: StoreOptions): Promise<Store> {
  const location = parseDatabaseUrl(options.url);
  // The key is checked before anything is opened: a bad key is a configuration error, not a database one.
  const cipher = new Cipher(parseSecretKey(options.secretKey));
  const where = location.backend === 'postgres' ? redactUrl(location.url) : location.path;
  let db: Kysely<Database>;
  try {
    db = connect(location, {
      ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
      ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
      ...(options.stalledTransactionTimeoutMs === undefined
        ? {}
        : { stalledTransactionTimeoutMs: options.stalledTransactionTimeoutMs }),
    });
  } catch (cause) {
    throw unavailable(where, cause);
  }
  try {
    await ping(db, where);
    await migrateToLatest(db as Kysely<unknown>, location.backend);
    await checkKey(db, cipher);
  } catch (error) {
    await db.destroy();
    throw error;
  }

  const root = new RootContext(db, location.backend, cipher, options.now ?? (() => new Date()));
  const repos = repositories(root);
  return {
    ...repos,
    backend: location.backend,
    eventsSince: (afterId, since) => repos.history.since(afterId, since),
    transaction: (fn) => inTransaction(root, (tx) => fn(repositories(tx))),
    onEvents: (listener) => {
      root.listeners.add(listener);
      return () => root.listeners.delete(listener);
    },
    listenForEvents: (onCommit, onError) =>
      location.backend === 'postgres'
        ? listenPostgres(location.url, EVENTS_CHANNEL, onCommit, onError)
        : Promise.resolve({ close: () => Promise.resolve() }),
    broadcast: (message) => broadcast(root, message),
    listenForBroadcasts: (onMessage, onError) =>
      location.backend === 'postgres'
        ? listenForBroadcasts(location.url, onMessage, onError)
        : Promise.resolve({ close: () => Promise.resolve() }),
    ping: () => ping(root.db, where),
    close: () => root.close(),
  };
}

async function ping(db: Kysely<Database>, where: string): Promise<void> {
  try {
    await sql`select 1`.execute(db);
  } catch (cause) {
    throw unavailable(where, cause);
  }
}

function unavailable(where: string, cause: unknown): StoreError {
  if (isStoreError(cause)) return cause;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(StoreErrorCode.DatabaseUnavailable, `cannot open the database ${where}: ${why}`, {
    cause,
  });
}
