// The two backends every store test runs on. SQLite gets a file per test in a temp folder (WAL needs a file);
// PostgreSQL gets a fresh database per test on the throwaway server of `testenv/postgres`, started here when
// it is not running (and stopped again at the end in that case).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createStore, type Store, type StoreOptions } from '../store.js';
import { Backend } from '../url.js';
import { newKey } from './fixtures.js';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../../..');
const pgScript = join(repoRoot, 'testenv/postgres');

export interface TestBackend {
  readonly name: Backend;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** The URL of a new, empty database. */
  freshUrl(): Promise<string>;
  /** Opens a store (on a fresh database unless `url` is given); closed by `closeAll`. */
  open(options?: Partial<StoreOptions>): Promise<OpenedStore>;
  /** Runs SQL directly on the database, bypassing the store: to look at what is really on disk. */
  query(url: string, text: string): Promise<Record<string, unknown>[]>;
  closeAll(): Promise<void>;
}

export interface OpenedStore {
  readonly store: Store;
  readonly url: string;
  readonly key: string;
}

abstract class BaseBackend implements TestBackend {
  abstract readonly name: Backend;
  private readonly stores: Store[] = [];
  abstract setup(): Promise<void>;
  abstract teardown(): Promise<void>;
  abstract freshUrl(): Promise<string>;
  abstract query(url: string, text: string): Promise<Record<string, unknown>[]>;

  async open(options: Partial<StoreOptions> = {}): Promise<OpenedStore> {
    const url = options.url ?? (await this.freshUrl());
    const key = typeof options.secretKey === 'string' ? options.secretKey : newKey();
    const store = await createStore({ ...options, url, secretKey: options.secretKey ?? key });
    this.stores.push(store);
    return { store, url, key };
  }

  async closeAll(): Promise<void> {
    const stores = this.stores.splice(0);
    await Promise.all(stores.map((s) => s.close()));
  }
}

export class SqliteBackend extends BaseBackend {
  readonly name = Backend.Sqlite;
  private dir = '';
  private count = 0;

  async setup(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'strata-store-'));
  }

  async teardown(): Promise<void> {
    await this.closeAll();
    if (this.dir !== '') await rm(this.dir, { recursive: true, force: true });
  }

  freshUrl(): Promise<string> {
    this.count++;
    return Promise.resolve(`sqlite:${join(this.dir, `db-${this.count}`, 'strata.db')}`);
  }

  query(url: string, text: string): Promise<Record<string, unknown>[]> {
    const db = new Database(url.slice('sqlite:'.length));
    try {
      const statement = db.prepare(text);
      if (!statement.reader) {
        statement.run();
        return Promise.resolve([]);
      }
      return Promise.resolve(statement.all() as Record<string, unknown>[]);
    } finally {
      db.close();
    }
  }

  /** The database file and its WAL, as bytes: where a leaked plaintext would be. */
  async rawBytes(url: string): Promise<Buffer> {
    const path = url.slice('sqlite:'.length);
    const parts = await Promise.all(
      [path, `${path}-wal`].map((p) => readFile(p).catch(() => Buffer.alloc(0))),
    );
    return Buffer.concat(parts);
  }
}

export class PostgresBackend extends BaseBackend {
  readonly name = Backend.Postgres;
  private adminUrl = '';
  private startedHere = false;
  private readonly databases: string[] = [];

  async setup(): Promise<void> {
    // STRATA_TEST_POSTGRES_URL points the tests at another server (a CI service, say); it must allow
    // CREATE DATABASE.
    const given = process.env.STRATA_TEST_POSTGRES_URL;
    if (given !== undefined && given !== '') {
      this.adminUrl = given;
      return;
    }
    const running = await run(pgScript, ['status']).then(
      () => true,
      () => false,
    );
    const { stdout } = await run(pgScript, ['up']);
    this.adminUrl = stdout.trim();
    this.startedHere = !running;
  }

  async teardown(): Promise<void> {
    await this.closeAll();
    if (this.adminUrl !== '') {
      const client = new pg.Client({ connectionString: this.adminUrl });
      await client.connect();
      try {
        for (const db of this.databases.splice(0))
          await client.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    }
    if (this.startedHere) await run(pgScript, ['down']);
  }

  async freshUrl(): Promise<string> {
    const name = `strata_test_${process.pid}_${this.databases.length + 1}`;
    const client = new pg.Client({ connectionString: this.adminUrl });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    this.databases.push(name);
    const url = new URL(this.adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  async query(url: string, text: string): Promise<Record<string, unknown>[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<Record<string, unknown>>(text)).rows;
    } finally {
      await client.end();
    }
  }
}

export const backends = (): TestBackend[] => [new SqliteBackend(), new PostgresBackend()];
