// Prepared statements, kept (issue 15, "Linear cost"): Kysely's drivers prepare every query again, on SQLite a
// `db.prepare(sql)` per query (2.7 s of a 200-pack install went to it) and on PostgreSQL an unnamed statement that
// the server parses and plans per query. The repositories issue a few dozen distinct SQL texts, so each text is
// prepared once: on SQLite one better-sqlite3 statement per text (bounded, least recently used dropped), on
// PostgreSQL a named statement per text, which pg prepares once per connection and reuses after.
import { createHash } from 'node:crypto';
import type {
  PostgresCursor,
  PostgresPool,
  PostgresPoolClient,
  PostgresQueryResult,
  SqliteDatabase,
  SqliteStatement,
} from 'kysely';
import type SqliteDatabaseClass from 'better-sqlite3';
import type pg from 'pg';

/** Distinct SQL texts kept per SQLite database; a multi-row insert makes one text per row count. */
export const MAX_KEPT_STATEMENTS = 500;

/**
 * better-sqlite3's database for Kysely, with one prepared statement per SQL text. A statement still iterating
 * (a streamed query) is busy and cannot run again until it is done: that query gets a statement of its own.
 */
export function keepingStatements(
  database: SqliteDatabaseClass.Database,
  max = MAX_KEPT_STATEMENTS,
): SqliteDatabase {
  const kept = new Map<string, SqliteDatabaseClass.Statement>();
  return {
    close: () => {
      kept.clear();
      database.close();
    },
    prepare: (sql: string): SqliteStatement => {
      const statement = kept.get(sql);
      if (statement && !statement.busy) {
        // Most recently used last, so the first entry is the one to drop.
        kept.delete(sql);
        kept.set(sql, statement);
        return statement;
      }
      const prepared = database.prepare(sql);
      if (statement) return prepared;
      kept.set(sql, prepared);
      if (kept.size > max) {
        const oldest = kept.keys().next().value;
        if (oldest !== undefined) kept.delete(oldest);
      }
      return prepared;
    },
  };
}

/** The statement's name on every connection: the same text, the same name (pg refuses one name for two texts). */
export function statementName(sql: string): string {
  return `strata_${createHash('sha1').update(sql).digest('base64url')}`;
}

/**
 * pg's pool for Kysely, running each query that has parameters as a named statement: pg parses it once per
 * connection and then only binds and executes it. Queries without parameters (BEGIN, COMMIT, a setval) use the
 * simple protocol as before; cursors pass through.
 *
 * A transaction's BEGIN is sent with its first statement when that one has no parameters, as one simple query
 * (`begin; select …`: the server runs them in order, each with its own snapshot): a round trip saved per
 * transaction that starts so, as every event writer does (transitions.ts, lockEventOrder), where a status flush
 * on PostgreSQL is four or five round trips in all (issue 15). Before any other query the BEGIN goes alone.
 */
export function namingStatements(pool: pg.Pool): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (sql: string) => {
    let name = names.get(sql);
    if (name === undefined) {
      name = statementName(sql);
      names.set(sql, name);
    }
    return name;
  };
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let out = wrapped.get(client);
    if (out) return out;
    let beginPending = false;
    const run = async <R>(config: pg.QueryConfig): Promise<PostgresQueryResult<R>> => {
      if (!beginPending) return client.query(config) as unknown as Promise<PostgresQueryResult<R>>;
      beginPending = false;
      if (config.values === undefined) {
        // pg answers a simple query of several statements with one result per statement.
        const results = (await client.query(`${BEGIN}; ${config.text}`)) as unknown as pg.QueryResult[];
        return results.at(-1) as unknown as PostgresQueryResult<R>;
      }
      await client.query(BEGIN);
      return client.query(config) as unknown as Promise<PostgresQueryResult<R>>;
    };
    function query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
    function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
    function query<R>(
      sql: string | PostgresCursor<R>,
      parameters?: readonly unknown[],
    ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
      // Kysely's cursors are pg-cursor's, which pg's typings know as a Submittable.
      if (typeof sql !== 'string') {
        if (beginPending) throw new Error('a cursor as the first query of a transaction is not supported');
        return client.query(sql as unknown as pg.Submittable) as unknown as PostgresCursor<R>;
      }
      const values = [...(parameters ?? [])];
      if (values.length === 0 && sql === BEGIN && !beginPending) {
        beginPending = true;
        return Promise.resolve({
          command: 'BEGIN',
          rowCount: null,
          rows: [],
        } as unknown as PostgresQueryResult<R>);
      }
      return run<R>(values.length === 0 ? { text: sql } : { name: nameOf(sql), text: sql, values });
    }
    out = {
      query,
      release: (destroy?: boolean) => {
        beginPending = false;
        client.release(destroy);
      },
    };
    wrapped.set(client, out);
    return out;
  };
  return {
    options: pool.options,
    connect: async () => wrap(await pool.connect()),
    end: () => pool.end(),
  };
}

/** What Kysely's PostgreSQL driver sends to open a transaction without isolation settings. */
const BEGIN = 'begin';
