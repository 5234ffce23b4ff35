// Prepared statements kept (issue 15): a SQLite store prepares each SQL text once however often it runs it; a
// statement still iterating is not handed out again; the kept set is bounded; PostgreSQL names are per text, and a
// transaction's BEGIN goes with its first statement when it can.
import { randomBytes } from 'node:crypto';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStore, TokenRole } from './index.js';
import type pg from 'pg';
import { keepingStatements, namingStatements, statementName } from './prepared.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('keepingStatements', () => {
  it('a store prepares a query once, not once per run', async () => {
    const prepare = vi.spyOn(SqliteDatabase.prototype, 'prepare');
    const store = await createStore({ url: ':memory:', secretKey: randomBytes(32) });
    try {
      const { plaintext } = await store.tokens.create({ role: TokenRole.Viewer, name: 'reader' });
      const before = prepare.mock.calls.length;
      for (let i = 0; i < 20; i++) expect(await store.tokens.verify(plaintext)).toBeDefined();
      // The first verify may prepare its statements; the other nineteen prepare nothing.
      const first = prepare.mock.calls.length - before;
      expect(first).toBeLessThanOrEqual(2);
      for (let i = 0; i < 20; i++) await store.tokens.verify(plaintext);
      expect(prepare.mock.calls.length - before).toBe(first);
    } finally {
      await store.close();
    }
  });

  it('gives a statement that is still iterating a fresh one, and drops the least recently used past the bound', () => {
    const database = new SqliteDatabase(':memory:');
    const kept = keepingStatements(database, 2);
    try {
      const a = kept.prepare('select 1 as n union all select 2');
      expect(kept.prepare('select 1 as n union all select 2')).toBe(a);
      const rows = (a as SqliteDatabase.Statement).iterate();
      rows.next();
      expect(kept.prepare('select 1 as n union all select 2')).not.toBe(a);
      rows.return?.();
      expect(kept.prepare('select 1 as n union all select 2')).toBe(a);
      const b = kept.prepare('select 2');
      kept.prepare('select 3');
      // 'a' was least recently used: dropped; 'select 2' is still kept.
      expect(kept.prepare('select 2')).toBe(b);
      expect(kept.prepare('select 1 as n union all select 2')).not.toBe(a);
    } finally {
      kept.close();
    }
  });
});

describe('statementName', () => {
  it('is the same for the same text and differs between texts', () => {
    expect(statementName('select $1')).toBe(statementName('select $1'));
    expect(statementName('select $1')).not.toBe(statementName('select $2'));
    expect(statementName('select $1')).toMatch(/^strata_[\w-]+$/);
  });
});

describe('namingStatements', () => {
  /** A pg pool of one client that records what it is sent and answers each statement of a text. */
  function fakePool() {
    const sent: unknown[] = [];
    const client = {
      query: (config: string | { text: string }) => {
        sent.push(config);
        const text = typeof config === 'string' ? config : config.text;
        const results = text.split('; ').map((statement) => ({ command: statement, rows: [] }));
        return Promise.resolve(results.length === 1 ? results[0] : results);
      },
      release: () => undefined,
    };
    const pool = { options: {}, connect: () => Promise.resolve(client), end: () => Promise.resolve() };
    return { pool: pool as unknown as pg.Pool, sent };
  }

  it("sends a transaction's BEGIN with its first statement when that has no parameters", async () => {
    const { pool, sent } = fakePool();
    const connection = await namingStatements(pool).connect();
    await connection.query('begin', []);
    expect(sent).toEqual([]);
    const result = await connection.query('select pg_advisory_xact_lock(1)', []);
    expect(result).toEqual({ command: 'select pg_advisory_xact_lock(1)', rows: [] });
    await connection.query('select $1', [1]);
    await connection.query('commit', []);
    expect(sent).toEqual([
      'begin; select pg_advisory_xact_lock(1)',
      { name: statementName('select $1'), text: 'select $1', values: [1] },
      { text: 'commit' },
    ]);
  });

  it('sends the BEGIN alone before a first statement with parameters, and none left over after a release', async () => {
    const { pool, sent } = fakePool();
    const statements = namingStatements(pool);
    const connection = await statements.connect();
    await connection.query('begin', []);
    await connection.query('select $1', [1]);
    await connection.query('rollback', []);
    expect(sent).toEqual([
      'begin',
      { name: statementName('select $1'), text: 'select $1', values: [1] },
      { text: 'rollback' },
    ]);
    sent.length = 0;
    await connection.query('begin', []);
    connection.release();
    const again = await statements.connect();
    await again.query('select 1', []);
    expect(sent).toEqual([{ text: 'select 1' }]);
  });
});
