import type { V1ConfigMap } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubeError, KubeErrorCode } from './errors.js';
import * as statuses from './fixtures/statuses.js';
import {
  ListWatch,
  type ConnectionState,
  type ListTransform,
  type ListWatchOptions,
  type WatchEvent,
} from './list-watch.js';
import { EventLog } from './testing/event-log.js';
import { WatchBudget } from './watch-budget.js';
import type { RawWatchEvent } from './watch-stream.js';

function cm(name: string, rv: string, data: Record<string, string> = {}): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'web', resourceVersion: rv },
    data,
  };
}

/** One watch stream the test drives: push events, end it like a server timeout, or fail it. */
class Stream implements AsyncIterable<RawWatchEvent<V1ConfigMap>> {
  private queue: (RawWatchEvent<V1ConfigMap> | { end: true } | { error: unknown })[] = [];
  private wake: (() => void) | undefined;
  constructor(
    readonly resourceVersion: string,
    readonly signal: AbortSignal,
  ) {
    signal.addEventListener('abort', () => this.wake?.());
  }
  push(e: RawWatchEvent<V1ConfigMap>) {
    this.queue.push(e);
    this.wake?.();
  }
  end() {
    this.queue.push({ end: true });
    this.wake?.();
  }
  fail(error: unknown) {
    this.queue.push({ error });
    this.wake?.();
  }
  async *[Symbol.asyncIterator]() {
    for (;;) {
      if (this.signal.aborted) throw new DOMException('aborted', 'AbortError');
      const next = this.queue.shift();
      if (!next) {
        await new Promise<void>((r) => (this.wake = r));
        continue;
      }
      if ('end' in next) return;
      if ('error' in next) throw next.error;
      yield next;
    }
  }
}

type ListResult =
  | {
      items: V1ConfigMap[];
      resourceVersion: string;
      sizes?: number[];
      /** Passes each item's size to the transform, as KubeClient does page by page. */
      sizesToTransform?: boolean;
      /** Fails after transforming every item (a later page failed). */
      thenFail?: Error;
    }
  | Error;

class FakeSource {
  readonly lists: ListResult[] = [];
  readonly watches = new EventLog<Stream>();
  listCalls = 0;
  async list(_signal: AbortSignal, transform: ListTransform) {
    this.listCalls++;
    await Promise.resolve();
    const next = this.lists.shift();
    if (!next) {
      // A ListWatch that relists more than the test expects retries this at once: yield to the test's timers.
      await new Promise((resolve) => setTimeout(resolve, 1));
      throw new Error('test: no list prepared');
    }
    if (next instanceof Error) throw next;
    const { sizes, sizesToTransform = false } = next;
    const items = next.items.map((i, n) =>
      sizesToTransform ? transform(structuredClone(i), sizes?.[n]) : transform(structuredClone(i)),
    );
    if (next.thenFail) throw next.thenFail;
    return {
      items,
      resourceVersion: next.resourceVersion,
      ...(next.sizes ? { sizes: next.sizes } : {}),
    };
  }
  watch(resourceVersion: string, options: { timeoutSeconds: number; signal: AbortSignal }) {
    const s = new Stream(resourceVersion, options.signal);
    this.watches.push(s);
    return s;
  }
  async stream(n: number): Promise<Stream> {
    await this.watches.waitFor(n);
    const s = this.watches.items[n - 1];
    if (!s) throw new Error('unreachable');
    return s;
  }
}

function setup(options: ListWatchOptions & { failOnce?: (e: WatchEvent<V1ConfigMap>) => boolean } = {}) {
  const source = new FakeSource();
  const events = new EventLog<string>();
  const connections = new EventLog<ConnectionState>();
  const sleeps: number[] = [];
  const failed = new Set<string>();
  const lw = new ListWatch<V1ConfigMap>(
    source,
    (e) => {
      const label = `${e.type} ${e.object.metadata?.name ?? ''}@${e.object.metadata?.resourceVersion ?? ''}`;
      const once = `${e.type} ${e.object.metadata?.name ?? ''}`;
      if (options.failOnce?.(e) && !failed.has(once)) {
        failed.add(once);
        events.push(`THROW ${label}`);
        throw new Error('handler failed');
      }
      events.push(label);
    },
    {
      random: () => 0.5,
      // Time stands still unless a test moves it: every watch is short, every failure right after its list.
      now: () => 0,
      sleep: (ms, signal) => {
        sleeps.push(ms);
        // A watch that keeps failing (a test's lists run out) waits for good past this, so the test times out
        // instead of looping until the heap is full.
        if (sleeps.length > 50)
          return new Promise<void>((resolve) => {
            signal.addEventListener('abort', () => {
              resolve();
            });
          });
        return Promise.resolve();
      },
      onConnection: (s) => {
        connections.push(s);
      },
      ...options,
    },
  );
  const cacheView = () =>
    [...lw.values()].map((o) => `${o.metadata?.name ?? ''}@${o.metadata?.resourceVersion ?? ''}`).sort();
  return { source, events, connections, sleeps, lw, cacheView };
}

const goneError = () => new KubeError(KubeErrorCode.Gone, 'too old resource version', { status: 410 });
const refused = () =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  });

describe('ListWatch', () => {
  it('delivers ADDED for the first list, resolves start() once synced, then watches from its resourceVersion', async () => {
    const { source, events, connections, lw, cacheView } = setup();
    source.lists.push({ items: [cm('a', '10'), cm('b', '11')], resourceVersion: '12' });
    expect(lw.synced).toBe(false);
    await lw.start();
    expect(lw.synced).toBe(true);
    expect(events.items).toEqual(['ADDED a@10', 'ADDED b@11']);
    expect(connections.items).toEqual([{ connected: true }]);
    const w = await source.stream(1);
    expect(w.resourceVersion).toBe('12');

    w.push({ type: 'MODIFIED', object: cm('a', '13', { x: '1' }) });
    w.push({ type: 'DELETED', object: cm('b', '14') });
    w.push({ type: 'ADDED', object: cm('c', '15') });
    await events.waitFor(5);
    expect(events.items.slice(2)).toEqual(['MODIFIED a@13', 'DELETED b@14', 'ADDED c@15']);
    expect(cacheView()).toEqual(['a@13', 'c@15']);
    expect(lw.get('web/a')?.data).toEqual({ x: '1' });
    lw.stop();
  });

  it('resumes from the last bookmark when the server ends the watch normally', async () => {
    const { source, lw } = setup();
    source.lists.push({ items: [], resourceVersion: '5' });
    await lw.start();
    const first = await source.stream(1);
    first.push({
      type: 'BOOKMARK',
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: '42' } },
    });
    first.end();
    const second = await source.stream(2);
    expect(second.resourceVersion).toBe('42');
    expect(source.listCalls).toBe(1);
    lw.stop();
  });

  it.each([
    [
      'an ERROR event with a 410 Status',
      (w: Stream) => {
        w.push({ type: 'ERROR', object: statuses.expired });
      },
    ],
    [
      'an HTTP 410',
      (w: Stream) => {
        w.fail(goneError());
      },
    ],
  ])('on %s relists at once and diffs against the cache', async (_, expire) => {
    const { source, events, connections, sleeps, lw, cacheView } = setup();
    source.lists.push({ items: [cm('a', '1'), cm('b', '2'), cm('c', '3')], resourceVersion: '3' });
    await lw.start();
    source.lists.push({ items: [cm('a', '1'), cm('b', '7'), cm('d', '8')], resourceVersion: '9' });
    expire(await source.stream(1));
    await events.waitFor(6);
    expect(events.items.slice(3)).toEqual(['MODIFIED b@7', 'ADDED d@8', 'DELETED c@3']);
    expect(cacheView()).toEqual(['a@1', 'b@7', 'd@8']);
    expect((await source.stream(2)).resourceVersion).toBe('9');
    expect(sleeps).toEqual([]);
    expect(connections.items).toEqual([{ connected: true }]);
    lw.stop();
  });

  it('on a network error reports the outage, backs off with jitter, relists and delivers deletes it missed', async () => {
    const { source, events, connections, sleeps, lw, cacheView } = setup({
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    source.lists.push({ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '2' });
    await lw.start();
    source.lists.push(refused(), refused(), { items: [cm('a', '1')], resourceVersion: '20' });
    (await source.stream(1)).fail(refused());
    await events.waitFor(3);
    expect(events.items[2]).toBe('DELETED b@2');
    expect(cacheView()).toEqual(['a@1']);
    // attempts 1, 2, 3 with random() = 0.5: half of 100, 200, 400
    expect(sleeps).toEqual([50, 100, 200]);
    const states = connections.items.map((s) => (s.connected ? 'up' : `down#${s.attempt} ${s.error.code}`));
    expect(states).toEqual(['up', 'down#1 Unreachable', 'down#2 Unreachable', 'down#3 Unreachable', 'up']);
    expect((await source.stream(2)).resourceVersion).toBe('20');
    lw.stop();
  });

  it('keeps at most maxObjects: one more from the watch or the list is a TooLarge outage, retried with backoff', async () => {
    const { source, events, connections, sleeps, lw, cacheView } = setup({
      maxObjects: 2,
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    source.lists.push({ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '2' });
    await lw.start();
    source.lists.push(
      { items: [cm('a', '3'), cm('b', '2'), cm('c', '9')], resourceVersion: '9' },
      { items: [cm('a', '3'), cm('c', '5')], resourceVersion: '10' },
    );
    const w = await source.stream(1);
    w.push({ type: 'MODIFIED', object: cm('a', '3') }); // a known object: still taken at the bound
    w.push({ type: 'ADDED', object: cm('c', '4') }); // a third: refused, never handed to the handler
    await events.waitFor(5);
    expect(events.items).toEqual(['ADDED a@1', 'ADDED b@2', 'MODIFIED a@3', 'ADDED c@5', 'DELETED b@2']);
    expect(cacheView()).toEqual(['a@3', 'c@5']);
    const states = connections.items.map((s) => (s.connected ? 'up' : `down#${s.attempt} ${s.error.code}`));
    expect(states).toEqual(['up', 'down#1 TooLarge', 'down#2 TooLarge', 'up']);
    const down = connections.items[1];
    expect(down?.connected === false && down.error.message).toBe(
      'watch of objects: the API server sent more than 2 objects, the most the hub keeps of one kind per cluster',
    );
    expect(sleeps).toEqual([50, 100]);
    lw.stop();
  });

  it('keeps at most maxBytes, counting each object at its size, less what was replaced or deleted', async () => {
    const { source, events, connections, sleeps, lw, cacheView } = setup({
      maxBytes: 100,
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    source.lists.push({ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '2', sizes: [40, 40] });
    await lw.start();
    source.lists.push(
      { items: [cm('a', '3'), cm('c', '5')], resourceVersion: '9', sizes: [60, 60] }, // 120: refused whole
      { items: [cm('a', '3'), cm('c', '5')], resourceVersion: '10', sizes: [50, 50] },
    );
    const w = await source.stream(1);
    w.push({ type: 'MODIFIED', object: cm('a', '3'), size: 50 }); // replaces a's 40: 90, not 130
    w.push({ type: 'DELETED', object: cm('b', '4'), size: 40 }); // 50
    w.push({ type: 'ADDED', object: cm('c', '5'), size: 50 }); // 100: at the bound, taken
    w.push({ type: 'ADDED', object: cm('d', '6'), size: 1 }); // 101: refused, never handed to the handler
    await connections.waitFor(4);
    expect(events.items).toEqual(['ADDED a@1', 'ADDED b@2', 'MODIFIED a@3', 'DELETED b@4', 'ADDED c@5']);
    expect(cacheView()).toEqual(['a@3', 'c@5']);
    const states = connections.items.map((s) => (s.connected ? 'up' : `down#${s.attempt} ${s.error.code}`));
    expect(states).toEqual(['up', 'down#1 TooLarge', 'down#2 TooLarge', 'up']);
    const down = connections.items[1];
    expect(down?.connected === false && down.error.message).toBe(
      'watch of objects: the API server sent more than 100 bytes of objects (estimated heap), the most the hub keeps of one kind per cluster',
    );
    expect(sleeps).toEqual([50, 100]);
    lw.stop();
  });

  it("takes its cache's bytes from the hub's budget, gives back what is replaced or deleted, and all at stop", async () => {
    const budget = new WatchBudget({ totalBytes: 1000 });
    const account = budget.account('prod');
    const { source, events, lw } = setup({ budget: account });
    source.lists.push({ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '2', sizes: [40, 40] });
    await lw.start();
    expect(account.usedBytes).toBe(80);
    const w = await source.stream(1);
    w.push({ type: 'MODIFIED', object: cm('a', '3'), size: 100 });
    w.push({ type: 'DELETED', object: cm('b', '4'), size: 40 });
    await events.waitFor(4);
    expect(account.usedBytes).toBe(100);
    lw.stop();
    expect(account.usedBytes).toBe(0);
    expect(budget.usedBytes).toBe(0);
  });

  it('gives back what a handler did not take, and what a failed list held', async () => {
    const budget = new WatchBudget({ totalBytes: 1000 });
    const account = budget.account('prod');
    const { source, events, connections, lw } = setup({
      budget: account,
      failOnce: (e) => e.object.metadata?.name === 'b',
    });
    source.lists.push({ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '2', sizes: [40, 40] });
    await lw.start();
    // b's handler threw: it is not kept, so neither are its bytes.
    expect(events.items).toEqual(['ADDED a@1', 'THROW ADDED b@2']);
    expect(account.usedBytes).toBe(40);
    // A relist whose items were taken as they came (c, d), then failed on a later page: all of it goes back.
    source.lists.push(
      {
        items: [cm('a', '1'), cm('c', '5'), cm('d', '6')],
        resourceVersion: '6',
        sizes: [40, 300, 300],
        sizesToTransform: true,
        thenFail: refused(),
      },
      { items: [cm('a', '1'), cm('b', '2')], resourceVersion: '7', sizes: [40, 40], sizesToTransform: true },
    );
    (await source.stream(1)).fail(refused());
    await connections.waitFor(4);
    expect(connections.items.map((s) => s.connected)).toEqual([true, false, false, true]);
    expect(account.usedBytes).toBe(80);
    lw.stop();
  });

  it('sheds its cache when its cluster is over its share since another was added, and relists within it', async () => {
    const budget = new WatchBudget({ totalBytes: 100 });
    const account = budget.account('prod');
    const { source, events, connections, lw } = setup({ budget: account });
    source.lists.push({
      items: [cm('a', '1'), cm('b', '2'), cm('c', '3')],
      resourceVersion: '3',
      sizes: [30, 30, 30],
      sizesToTransform: true,
    });
    await lw.start();
    expect(account.usedBytes).toBe(90);
    // Another cluster: reserves of 25, prod may hold 75. Its next event fails it, named, and its bytes go back.
    budget.account('other');
    source.lists.push({
      items: [cm('a', '4'), cm('b', '2')],
      resourceVersion: '5',
      sizes: [30, 30],
      sizesToTransform: true,
    });
    (await source.stream(1)).push({ type: 'ADDED', object: cm('d', '4'), size: 1 });
    await connections.waitFor(3);
    const down = connections.items[1];
    expect(down?.connected === false && down.error.message).toBe(
      "watch of objects: cluster prod would hold more than its share of the hub's 100 bytes watch budget " +
        '(the watch budget): it holds 90 bytes of watched objects, and it is over its share of it since another ' +
        'cluster was added (75 bytes now): its watches drop what they hold and relist within the share',
    );
    // The relist: b unchanged is taken back without an event, a changed, c gone (the consumer still held both).
    expect(events.items).toEqual(['ADDED a@1', 'ADDED b@2', 'ADDED c@3', 'MODIFIED a@4', 'DELETED c@3']);
    expect(connections.items[2]).toEqual({ connected: true });
    expect(account.usedBytes).toBe(60);
    expect([...lw.values()].map((o) => o.metadata?.name)).toEqual(['a', 'b']);
    lw.stop();
    expect(account.usedBytes).toBe(0);
  });

  it('is refused by the budget with a TooLarge naming the cluster and the kind, and comes back once the cluster shrank', async () => {
    const budget = new WatchBudget({ totalBytes: 100, setting: '--watch-cache-mib' });
    const account = budget.account('prod');
    const pods = setup({ budget: account });
    // The ConfigMaps' waits end when the test says: a list refused again is retried only after the next one.
    const waits: number[] = [];
    const wakes = new EventLog<() => void>();
    const maps = setup({
      budget: account,
      backoff: { initialMs: 100, maxMs: 1000 },
      sleep: (ms) => {
        waits.push(ms);
        return new Promise<void>((resolve) => {
          wakes.push(resolve);
        });
      },
    });
    pods.source.lists.push({ items: [cm('p1', '1'), cm('p2', '2')], resourceVersion: '2', sizes: [30, 30] });
    maps.source.lists.push({ items: [cm('a', '1')], resourceVersion: '2', sizes: [30] });
    await Promise.all([pods.lw.start(), maps.lw.start()]);
    // 90 of 100 held: a ConfigMap of 20 more is refused, and its relist too while the Pods hold their 60.
    maps.source.lists.push({ items: [cm('a', '1'), cm('b', '3')], resourceVersion: '3', sizes: [30, 20] });
    (await maps.source.stream(1)).push({ type: 'ADDED', object: cm('b', '3'), size: 20 });
    await wakes.waitFor(1);
    wakes.items[0]?.();
    await wakes.waitFor(2);
    const states = maps.connections.items.map((s) =>
      s.connected ? 'up' : `down#${s.attempt} ${s.error.code}`,
    );
    expect(states).toEqual(['up', 'down#1 TooLarge', 'down#2 TooLarge']);
    const down = maps.connections.items[1];
    expect(down?.connected === false && down.error.message).toBe(
      "watch of objects: cluster prod would hold more than its share of the hub's 100 bytes watch budget " +
        '(--watch-cache-mib): it holds 90 bytes of watched objects, and the clusters together hold all of it',
    );
    expect(maps.events.items).toEqual(['ADDED a@1']);
    expect(account.usedBytes).toBe(90);
    // The cluster shrinks (a Pod is deleted): the next relist fits, after the backoff as for any failure.
    (await pods.source.stream(1)).push({ type: 'DELETED', object: cm('p2', '4'), size: 30 });
    await pods.events.waitFor(3);
    maps.source.lists.push({ items: [cm('a', '1'), cm('b', '3')], resourceVersion: '4', sizes: [30, 20] });
    wakes.items[1]?.();
    await maps.connections.waitFor(4);
    expect(maps.connections.items[3]).toEqual({ connected: true });
    expect(maps.events.items).toEqual(['ADDED a@1', 'ADDED b@3']);
    expect(account.usedBytes).toBe(80);
    expect(waits).toEqual([50, 100]);
    pods.lw.stop();
    maps.lw.stop();
  });

  it('relists a kind at its share: the objects that did not change are the cached ones and cost nothing', async () => {
    const budget = new WatchBudget({ totalBytes: 100 });
    const account = budget.account('prod');
    const { source, events, connections, lw, cacheView } = setup({ budget: account });
    source.lists.push({ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '2', sizes: [45, 45] });
    await lw.start();
    // Held twice (the cache and the new list) this relist would need 180 of 100; only c is new.
    source.lists.push({
      items: [cm('a', '1'), cm('b', '2'), cm('c', '5')],
      resourceVersion: '5',
      sizes: [45, 45, 10],
    });
    (await source.stream(1)).fail(refused());
    await connections.waitFor(3);
    expect(connections.items[2]).toEqual({ connected: true });
    expect(events.items).toEqual(['ADDED a@1', 'ADDED b@2', 'ADDED c@5']);
    expect(cacheView()).toEqual(['a@1', 'b@2', 'c@5']);
    expect(account.usedBytes).toBe(100);
    lw.stop();
  });

  it('backs off longer each time a watch fails right after a good relist, and starts over after 2 quiet minutes', async () => {
    let clock = 0;
    const { source, connections, sleeps, lw } = setup({
      backoff: { initialMs: 100, maxMs: 1000 },
      now: () => clock,
    });
    const tooLong = () => new KubeError(KubeErrorCode.TooLarge, 'watch event longer than 4 MiB');
    for (let i = 0; i < 5; i++) source.lists.push({ items: [cm('a', '1')], resourceVersion: '1' });
    await lw.start();
    for (let n = 1; n <= 3; n++) (await source.stream(n)).fail(tooLong());
    await source.stream(4);
    clock += 2 * 60_000 + 1;
    (await source.stream(4)).fail(tooLong());
    await source.stream(5);
    const states = connections.items.map((s) => (s.connected ? 'up' : `down#${s.attempt} ${s.error.code}`));
    expect(states).toEqual([
      'up',
      'down#1 TooLarge',
      'up',
      'down#2 TooLarge',
      'up',
      'down#3 TooLarge',
      'up',
      'down#1 TooLarge',
      'up',
    ]);
    // half of 100, 200, 400 (random() = 0.5), then 100 again
    expect(sleeps).toEqual([50, 100, 200, 50]);
    lw.stop();
  });

  it('backs off when every watch ends at once in a 410 sent as an ERROR event (review 18, item 3)', async () => {
    const { source, sleeps, lw } = setup({ backoff: { initialMs: 100, maxMs: 1000 }, now: () => 0 });
    for (let i = 0; i < 6; i++) source.lists.push({ items: [cm('a', '1')], resourceVersion: '1' });
    await lw.start();
    const gone = {
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' },
    };
    for (let n = 1; n <= 4; n++) (await source.stream(n)).push(gone as unknown as RawWatchEvent<V1ConfigMap>);
    await source.stream(5);
    // Two relists at once, then a backoff that grows: 50, 100 (random() = 0.5).
    expect(sleeps).toEqual([50, 100]);
    expect(source.listCalls).toBe(5);
    lw.stop();
  });

  it('paces watches that send only a bookmark and end at once, as it paces those that send nothing', async () => {
    const { source, sleeps, lw } = setup({ backoff: { initialMs: 100, maxMs: 1000 }, now: () => 0 });
    source.lists.push({ items: [cm('a', '1')], resourceVersion: '1' });
    await lw.start();
    const bookmark = { type: 'BOOKMARK', object: cm('', '5') } as RawWatchEvent<V1ConfigMap>;
    for (let n = 1; n <= 3; n++) {
      const stream = await source.stream(n);
      stream.push(bookmark);
      stream.end();
    }
    await source.stream(4);
    expect(sleeps).toEqual([50, 100, 200]);
    lw.stop();
  });

  it('stays connected behind a proxy that cuts every watch after a few seconds: each cut costs a watch from the last resourceVersion, not a list (review 18, item 4)', async () => {
    let clock = 0;
    const { source, connections, sleeps, lw } = setup({
      backoff: { initialMs: 100, maxMs: 1000 },
      now: () => clock,
    });
    source.lists.push({ items: [cm('a', '1')], resourceVersion: '1' });
    await lw.start();
    // Cut 3 s after it started, with or without a change: watched again at once from where it was.
    for (let n = 1; n <= 4; n++) {
      const stream = await source.stream(n);
      if (n % 2 === 1) stream.push({ type: 'MODIFIED', object: cm('a', String(n + 1)) });
      clock += 3_000;
      stream.fail(refused());
    }
    await source.stream(5);
    expect(source.watches.items.map((w) => w.resourceVersion)).toEqual(['1', '2', '2', '4', '4']);
    // A quiet cluster's watch outliving the server's window, three times in a row: relisted at once each time.
    for (let n = 5; n <= 7; n++) {
      source.lists.push({ items: [cm('a', '4')], resourceVersion: String(n * 10) });
      const stream = await source.stream(n);
      clock += 60_000;
      stream.push({
        type: 'ERROR',
        object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' },
      } as unknown as RawWatchEvent<V1ConfigMap>);
    }
    expect((await source.stream(8)).resourceVersion).toBe('70');
    expect(source.listCalls).toBe(4);
    expect(sleeps).toEqual([]);
    expect(connections.items).toEqual([{ connected: true }]);
    lw.stop();
  });

  it('starts the backoff over when a failure comes 30 s after the last list, however many watches it took', async () => {
    let clock = 0;
    const { source, connections, sleeps, lw } = setup({
      backoff: { initialMs: 100, maxMs: 1000 },
      now: () => clock,
    });
    for (let i = 0; i < 5; i++) source.lists.push({ items: [cm('a', '1')], resourceVersion: '1' });
    await lw.start();
    // Refused at once, twice: the backoff grows.
    for (let n = 1; n <= 2; n++) (await source.stream(n)).fail(refused());
    // Then 10 watches of 3 s each, cut by a proxy, and one refused at once: attempt 1 again.
    for (let n = 3; n <= 12; n++) {
      const stream = await source.stream(n);
      clock += 3_000;
      stream.fail(refused());
    }
    (await source.stream(13)).fail(refused());
    await source.stream(14);
    expect(connections.items.flatMap((c) => (c.connected ? [] : [c.attempt]))).toEqual([1, 2, 1]);
    expect(sleeps).toEqual([50, 100, 50]);
    lw.stop();
  });

  // A hostile server (review 19, item 1): what a watch sends before it ends must not buy it a fast retry.
  it.each([
    [
      'a 410',
      (w: Stream) => {
        w.push({
          type: 'ERROR',
          object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' },
        } as unknown as RawWatchEvent<V1ConfigMap>);
      },
      { lists: 6, attempts: [1, 2, 3], sleeps: [50, 100, 200] },
    ],
    [
      'a clean end',
      (w: Stream) => {
        w.end();
      },
      { lists: 1, attempts: [], sleeps: [50, 100, 200, 400, 800] },
    ],
    [
      'a cut',
      (w: Stream) => {
        w.fail(refused());
      },
      { lists: 6, attempts: [1, 2, 3, 4, 5], sleeps: [50, 100, 200, 400, 800] },
    ],
  ])('paces watches that each deliver a change, then end at once in %s', async (_, end, expected) => {
    const { source, connections, sleeps, lw } = setup({ backoff: { initialMs: 100, maxMs: 10_000 } });
    for (let i = 0; i < 6; i++) source.lists.push({ items: [cm('a', '1')], resourceVersion: '1' });
    await lw.start();
    for (let n = 1; n <= 5; n++) {
      const stream = await source.stream(n);
      stream.push({ type: 'MODIFIED', object: cm('a', String(n + 1)) });
      end(stream);
    }
    await source.stream(6);
    // Half of 100, 200, 400, … (random() = 0.5): each waits longer (after two free relists for the 410s).
    expect(sleeps).toEqual(expected.sleeps);
    expect(source.listCalls).toBe(expected.lists);
    expect(connections.items.flatMap((c) => (c.connected ? [] : [c.attempt]))).toEqual(expected.attempts);
    lw.stop();
  });

  it('a handler that throws leaves the cache unchanged and gets the object again on the next relist', async () => {
    const errors: unknown[] = [];
    const { source, events, lw, cacheView } = setup({
      failOnce: (e) => e.object.metadata?.name === 'b',
      onHandlerError: (error) => errors.push(error),
    });
    source.lists.push({ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '2' });
    await lw.start();
    expect(events.items).toEqual(['ADDED a@1', 'THROW ADDED b@2']);
    expect(cacheView()).toEqual(['a@1']);
    expect(errors).toHaveLength(1);

    source.lists.push({ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '5' });
    (await source.stream(1)).push({ type: 'ERROR', object: statuses.expired });
    await events.waitFor(3);
    expect(events.items[2]).toBe('ADDED b@2');
    expect(cacheView()).toEqual(['a@1', 'b@2']);
    lw.stop();
  });

  it('an event for an object the consumer does not hold yet arrives as ADDED', async () => {
    const { source, events, lw, cacheView } = setup({ failOnce: (e) => e.object.metadata?.name === 'b' });
    source.lists.push({ items: [cm('b', '1')], resourceVersion: '1' });
    await lw.start();
    (await source.stream(1)).push({ type: 'MODIFIED', object: cm('b', '2') });
    await events.waitFor(2);
    expect(events.items).toEqual(['THROW ADDED b@1', 'ADDED b@2']);
    expect(cacheView()).toEqual(['b@2']);
    lw.stop();
  });

  it('a DELETED whose handler throws is delivered again by the next relist', async () => {
    const { source, events, lw, cacheView } = setup({ failOnce: (e) => e.type === 'DELETED' });
    source.lists.push({ items: [cm('a', '1')], resourceVersion: '1' });
    await lw.start();
    const w = await source.stream(1);
    w.push({ type: 'DELETED', object: cm('a', '2') });
    await events.waitFor(2);
    expect(cacheView()).toEqual(['a@1']);
    source.lists.push({ items: [], resourceVersion: '3' });
    w.fail(goneError());
    await events.waitFor(3);
    expect(events.items).toEqual(['ADDED a@1', 'THROW DELETED a@2', 'DELETED a@1']);
    expect(cacheView()).toEqual([]);
    lw.stop();
  });

  it('runs handlers one at a time in stream order', async () => {
    const source = new FakeSource();
    let running = 0;
    let maxRunning = 0;
    const order = new EventLog<string>();
    const lw = new ListWatch<V1ConfigMap>(source, async (e) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 1));
      order.push(`${e.type} ${e.object.metadata?.resourceVersion ?? ''}`);
      running--;
    });
    source.lists.push({ items: [cm('a', '1')], resourceVersion: '1' });
    await lw.start();
    const w = await source.stream(1);
    for (let rv = 2; rv <= 6; rv++) w.push({ type: 'MODIFIED', object: cm('a', String(rv)) });
    await order.waitFor(6);
    expect(order.items).toEqual([
      'ADDED 1',
      'MODIFIED 2',
      'MODIFIED 3',
      'MODIFIED 4',
      'MODIFIED 5',
      'MODIFIED 6',
    ]);
    expect(maxRunning).toBe(1);
    lw.stop();
  });

  it('does not call the handler after stop() returns', async () => {
    const { source, events, lw } = setup();
    source.lists.push({ items: [], resourceVersion: '1' });
    await lw.start();
    const w = await source.stream(1);
    lw.stop();
    w.push({ type: 'ADDED', object: cm('late', '2') });
    await new Promise((r) => setTimeout(r, 10));
    expect(events.items).toEqual([]);
  });

  it('start() rejects when the first list fails permanently', async () => {
    const { source, lw, connections } = setup();
    source.lists.push(new KubeError(KubeErrorCode.Forbidden, 'configmaps is forbidden', { status: 403 }));
    await expect(lw.start()).rejects.toMatchObject({ code: 'Forbidden' });
    expect(connections.items).toEqual([]);
  });

  it('start() keeps retrying a transient first failure and rejects if stopped first', async () => {
    const { source, lw, connections } = setup({
      sleep: (_ms, signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            resolve();
          });
        }),
    });
    source.lists.push(refused());
    const started = lw.start();
    await connections.waitFor(1);
    expect(connections.items[0]).toMatchObject({ connected: false, attempt: 1 });
    lw.stop();
    await expect(started).rejects.toMatchObject({ code: 'Unreachable' });
  });

  it('relists when the resync interval has passed', async () => {
    let now = 0;
    const { source, events, lw } = setup({ resyncIntervalMs: 60_000, now: () => now });
    source.lists.push({ items: [cm('a', '1')], resourceVersion: '1' });
    await lw.start();
    const w = await source.stream(1);
    now = 61_000;
    source.lists.push({ items: [cm('a', '1'), cm('b', '2')], resourceVersion: '2' });
    w.end();
    await events.waitFor(2);
    expect(events.items).toEqual(['ADDED a@1', 'ADDED b@2']);
    expect(source.listCalls).toBe(2);
    lw.stop();
  });
  it('gives the cache and the handler only the transformed object, from the list and from the watch', async () => {
    const source = new FakeSource();
    const handled = new EventLog<string>();
    const lw = new ListWatch<V1ConfigMap>(
      source,
      (e) => {
        handled.push(
          `${e.type} ${e.object.metadata?.name ?? ''} ${e.object.metadata?.labels?.slim ?? 'whole'}`,
        );
      },
      {
        random: () => 0.5,
        sleep: () => Promise.resolve(),
        transform: (object) => {
          object.metadata = { ...(object.metadata ?? {}), labels: { slim: 'yes' } };
          return object;
        },
      },
    );
    source.lists.push({ items: [cm('a', '10')], resourceVersion: '12' });
    await lw.start();
    expect(lw.get('web/a')?.metadata?.labels).toEqual({ slim: 'yes' });
    const w = await source.stream(1);
    w.push({ type: 'MODIFIED', object: cm('a', '13', { x: '1' }) });
    w.push({ type: 'ADDED', object: cm('b', '14') });
    w.push({ type: 'DELETED', object: cm('a', '15') });
    await handled.waitFor(4);
    expect(handled.items).toEqual(['ADDED a yes', 'MODIFIED a yes', 'ADDED b yes', 'DELETED a yes']);
    expect([...lw.values()].map((o) => [o.metadata?.name, o.metadata?.labels?.slim, o.data])).toEqual([
      ['b', 'yes', {}],
    ]);
    lw.stop();
  });
});
