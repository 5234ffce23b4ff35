// Builds the Kysely instance for a database location. Everything above this file is backend-agnostic.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type Driver,
  type QueryCompiler,
  type SqliteDialectConfig,
  type DialectAdapter,
} from 'kysely';
import type pgModule from 'pg';
import { StoreError, StoreErrorCode } from './errors.js';
import { keepingStatements, namingStatements } from './prepared.js';
import type { Database } from './schema.js';
import { Backend, MEMORY, type DatabaseLocation } from './url.js';

export interface ConnectOptions {
  /** PostgreSQL pool size. */
  readonly poolSize?: number;
  /** How long a SQLite writer waits for another process's write lock before failing. */
  readonly busyTimeoutMs?: number;
  /** PostgreSQL: how long a transaction may wait for its client before the server ends it (default 8 s). */
  readonly stalledTransactionTimeoutMs?: number;
}

/**
 * A PostgreSQL transaction whose client stops sending (a hub replica paused by SIGSTOP, a long GC, a frozen
 * VM) keeps its locks: a status write holds its cluster's lease row (checkFence) and the event-order lock, so
 * no other replica could take the cluster over, nor store any event, until the paused one resumed. The server
 * ends such a transaction after this long idle in it, releasing its locks. It is the lease's lifetime
 * (leases.ts): a client stalled that long no longer trusts its lease anyway, and its write would be refused.
 */
export const STALLED_TRANSACTION_TIMEOUT_MS = 8000;

/**
 * Kysely's SQLite driver opens transactions with a plain (deferred) BEGIN. A deferred transaction that reads
 * and then writes fails at once with SQLITE_BUSY_SNAPSHOT when another process wrote in between, and the
 * busy timeout does not help with that. BEGIN IMMEDIATE takes the write lock up front, so concurrent writers
 * queue on the busy timeout instead of failing: no lost events (https://www.sqlite.org/lang_transaction.html).
 */
class ImmediateSqliteDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly onDestroy: () => void,
  ) {
    super(config);
  }

  override async destroy(): Promise<void> {
    await super.destroy();
    this.onDestroy();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite does run DDL inside transactions; Kysely's adapter says it does not only to be conservative. Saying
 * so lets the migrator run each migration (and its bookkeeping) in one BEGIN IMMEDIATE transaction, which is
 * also what serialises two processes migrating the same file at once.
 */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class StrataSqliteDialect implements Dialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly onDestroy: () => void,
  ) {}
  createDriver(): Driver {
    return new ImmediateSqliteDriver(this.config, this.onDestroy);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new TransactionalSqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/**
 * SQLite files this process has open. better-sqlite3 is synchronous: when a second connection in the same
 * process waits for the write lock, its busy timeout sleeps on the event loop thread, so the first connection,
 * which holds the lock across an `await`, can never finish: both stall until the timeout and the write fails.
 * One store per file per process avoids that (other processes are fine: they wait in their own threads).
 */
const openFiles = new Set<string>();

function openSqlite(path: string, options: ConnectOptions): Kysely<Database> {
  const file = path === MEMORY ? undefined : resolve(path);
  if (file !== undefined) {
    if (openFiles.has(file)) {
      throw new StoreError(
        StoreErrorCode.DatabaseInUse,
        `${file} is already open in this process: share that store instead of opening a second one`,
      );
    }
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // The database holds token hashes, sealed kubeconfigs and the audit log: owner-only, whatever the umask.
    // Created empty here with 0600 (SQLite then gives its -wal and -shm files the database file's mode),
    // and chmod-ed, which also repairs a database an older version created 0644.
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
  }
  const database = new SqliteDatabase(file ?? MEMORY);
  const release = () => {
    if (file !== undefined) openFiles.delete(file);
  };
  if (file !== undefined) openFiles.add(file);
  try {
    // WAL: readers (the API) never block the writer (the engine) and vice versa. synchronous=NORMAL is the
    // documented pairing for WAL: a committed transaction survives the process being killed; only an OS
    // crash or power loss can lose the last few commits (https://www.sqlite.org/pragma.html#pragma_synchronous).
    if (file !== undefined) {
      database.pragma('journal_mode = WAL');
      for (const side of [`${file}-wal`, `${file}-shm`]) if (existsSync(side)) chmodSync(side, 0o600);
    }
    database.pragma('synchronous = NORMAL');
    // SQLite does not enforce foreign keys unless asked, per connection.
    database.pragma('foreign_keys = ON');
    database.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
  } catch (error) {
    database.close();
    release();
    throw error;
  }
  return new Kysely<Database>({
    dialect: new StrataSqliteDialect({ database: keepingStatements(database) }, release),
  });
}

function openPostgres(url: string, options: ConnectOptions): Kysely<Database> {
  // Loaded here, not at startup: a SQLite hub never needs pg's ~10 MiB (issue 15: an idle hub under 80 MiB).
  const pg = createRequire(import.meta.url)('pg') as typeof pgModule;
  // pg returns bigint (event ids, count(*)) as strings to avoid precision loss above 2^53; ids here stay far
  // below that, and numbers keep the repositories identical on both backends. Per pool, not the global
  // pg.types, so other pg users in the process are unaffected.
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types,
    idle_in_transaction_session_timeout:
      options.stalledTransactionTimeoutMs ?? STALLED_TRANSACTION_TIMEOUT_MS,
  });
  // A connection the server ends (the timeout above, a restart) emits 'error' on its client, which is fatal to
  // the process with no listener: the pool's listener covers idle clients only, so every client gets one. The
  // transaction or query using it fails with the error, and the pool drops the connection when it is released.
  const ignore = () => undefined;
  pool.on('error', ignore);
  pool.on('connect', (client) => {
    client.on('error', ignore);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: namingStatements(pool) }) });
}

export function connect(location: DatabaseLocation, options: ConnectOptions = {}): Kysely<Database> {
  switch (location.backend) {
    case Backend.Sqlite:
      return openSqlite(location.path, options);
    case Backend.Postgres:
      return openPostgres(location.url, options);
  }
}
