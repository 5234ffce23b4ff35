// Broadcasts between hub replicas (broadcast.ts) on a real PostgreSQL: two stores on one database stand for two
// replicas. SQLite, one process per data dir, has none.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { asciiJson } from './broadcast.js';
import type { Store } from './store.js';
import { PostgresBackend, SqliteBackend } from './testing/backends.js';

function listen(store: Store) {
  const got: unknown[] = [];
  const errors: Error[] = [];
  let wake: () => void = () => undefined;
  const listening = store.listenForBroadcasts(
    (message) => {
      got.push(JSON.parse(message));
      wake();
    },
    (error) => errors.push(error),
  );
  const until = (count: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${String(got.length)} of ${String(count)} broadcasts arrived`));
      }, 10_000);
      wake = () => {
        if (got.length < count) return;
        clearTimeout(timer);
        resolve();
      };
      wake();
    });
  return { got, errors, listening, until };
}

describe('broadcasts on PostgreSQL', () => {
  const env = new PostgresBackend();
  beforeAll(() => env.setup());
  afterAll(() => env.teardown());
  afterEach(() => env.closeAll());

  it('reach every listener on the database in the order sent, one far past a notification’s 8000 bytes whole', async () => {
    const a = await env.open();
    const b = await env.open({ url: a.url, secretKey: a.key });
    const atA = listen(a.store);
    const atB = listen(b.store);
    await Promise.all([atA.listening, atB.listening]);
    const big = { kind: 'attachment.changed', note: 'grüße 🚀 '.repeat(4000) };
    await a.store.broadcast(asciiJson({ n: 1 }));
    await a.store.broadcast(asciiJson(big));
    await b.store.broadcast(asciiJson({ n: 3 }));
    await Promise.all([atA.until(3), atB.until(3)]);
    expect(atB.got).toEqual([{ n: 1 }, big, { n: 3 }]);
    expect(atA.got).toEqual([{ n: 1 }, big, { n: 3 }]);
    expect([...atA.errors, ...atB.errors]).toEqual([]);
    await (await atA.listening).close();
    await (await atB.listening).close();
  });
});

describe('broadcasts on SQLite', () => {
  const env = new SqliteBackend();
  beforeAll(() => env.setup());
  afterAll(() => env.teardown());

  it('are a no-op: one process owns the data dir', async () => {
    const { store } = await env.open();
    const at = listen(store);
    await at.listening;
    await store.broadcast(asciiJson({ n: 1 }));
    expect(at.got).toEqual([]);
    await (await at.listening).close();
  });
});
