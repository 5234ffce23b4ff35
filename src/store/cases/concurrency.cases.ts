import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Store } from '../store.js';
import type { StoredEvent } from '../transitions.js';
import { Backend } from '../url.js';
import type { TestBackend } from '../testing/backends.js';
import { packStatus } from '../testing/fixtures.js';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../../..');
const writerScript = join(import.meta.dirname, '../testing/writer-process.ts');

/** Writes `count` statuses for packs `<prefix>-0..2`, message `<prefix> <i>`. */
async function write(store: Store, prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const status = packStatus(i % 2 === 0 ? 'processing' : 'success', { message: `${prefix} ${i}` });
    await store.packStatus.record({ cluster: 'c', pack: `${prefix}-${i % 3}`, status });
  }
}

/**
 * Follows the stream the way the SSE endpoint will: `eventsSince(last)` until told to stop. If an event with
 * a lower id became visible after a higher one was read, the follower would skip it; the test compares what
 * it collected with the full history afterwards.
 */
function follow(store: Store, until: Promise<unknown>): Promise<StoredEvent[]> {
  const writers = { done: false };
  const stop = () => {
    writers.done = true;
  };
  until.then(stop, stop);
  return (async () => {
    const seen: StoredEvent[] = [];
    let last = 0;
    for (;;) {
      const finished = writers.done;
      const page = await store.eventsSince(last, { limit: 50 });
      seen.push(...page);
      last = page.at(-1)?.id ?? last;
      if (finished && page.length === 0) return seen;
      if (page.length === 0) await new Promise((r) => setTimeout(r, 2));
    }
  })();
}

function checkWriters(events: readonly StoredEvent[], prefixes: readonly string[], count: number): void {
  const statuses = events.filter((e) => e.kind === 'pack.status');
  for (const prefix of prefixes) {
    const mine = statuses.filter((e) => e.pack.startsWith(`${prefix}-`)).map((e) => e.status.message);
    // Every write of that writer is there, in the order it wrote them.
    expect(mine).toEqual(Array.from({ length: count }, (_, i) => `${prefix} ${i}`));
  }
}

export function concurrencyCases(env: TestBackend): void {
  describe('concurrent writers', () => {
    it('lose no events, and a follower reading meanwhile sees every one in id order', async () => {
      const { store, url, key } = await env.open();
      await store.clusters.create({ name: 'c', kubeconfig: 'k' });
      const count = 60;
      let writers: Promise<unknown>;
      let prefixes: string[];
      if (env.name === Backend.Postgres) {
        // Two hubs (two connection pools) and several writers each, all at once.
        const other = (await env.open({ url, secretKey: key })).store;
        prefixes = ['a', 'b', 'c', 'd'];
        writers = Promise.all([
          write(store, 'a', count),
          write(store, 'b', count),
          write(other, 'c', count),
          write(other, 'd', count),
        ]);
      } else {
        // Two other processes on the same file, and this one.
        prefixes = ['a', 'p1', 'p2'];
        const child = (prefix: string) =>
          run(process.execPath, ['--import', 'tsx', writerScript, url, key, 'c', prefix, String(count)], {
            cwd: repoRoot,
          });
        writers = Promise.all([write(store, 'a', count), child('p1'), child('p2')]);
      }
      const followed = await follow(store, writers);
      await writers;

      const all = await store.eventsSince(0, { limit: 10_000 });
      expect(all.filter((e) => e.kind === 'pack.status')).toHaveLength(prefixes.length * count);
      for (let i = 1; i < all.length; i++)
        expect((all[i] as StoredEvent).id).toBeGreaterThan((all[i - 1] as StoredEvent).id);
      expect(followed.map((e) => e.id)).toEqual(all.map((e) => e.id));
      checkWriters(all, prefixes, count);
      // Each view row holds its pack's last write, and its seq is that write's event id.
      for (const row of await store.packStatus.list('c')) {
        const lastWrite = all.filter((e) => e.kind === 'pack.status' && e.pack === row.pack).at(-1);
        expect(row.seq).toBe(lastWrite?.id);
      }
    });

    if (env.name === Backend.Sqlite) {
      // With a deferred BEGIN, a transaction that read before another process committed fails its write with
      // SQLITE_BUSY_SNAPSHOT, which no busy timeout retries: the event would be lost. BEGIN IMMEDIATE takes
      // the write lock up front, so the other writer waits (here: fails at once, its timeout being 0) instead.
      it('holds the SQLite write lock from the start of a transaction', async () => {
        const { store, url } = await env.open();
        await store.clusters.create({ name: 'c', kubeconfig: 'k' });
        const other = new Database(url.slice('sqlite:'.length), { timeout: 0 });
        try {
          let otherWrite: unknown;
          await store.transaction(async (tx) => {
            await tx.clusters.get('c');
            try {
              other.prepare("update clusters set drift_policy = 'report'").run();
            } catch (error) {
              otherWrite = error;
            }
            await tx.packStatus.record({ cluster: 'c', pack: 'p', status: packStatus('success') });
          });
          expect(otherWrite).toMatchObject({ code: 'SQLITE_BUSY' });
          expect(await store.packStatus.get('c', 'p')).toBeDefined();
        } finally {
          other.close();
        }
      });
    }
  });
}
