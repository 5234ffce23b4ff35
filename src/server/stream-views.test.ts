// The live stream builds a pack.status event's view (the pack as the page shows it, every resource with it) only
// for a client that gets the event: once, when the fan-out first writes it, shared by every client (issue 15: an
// install built one per status event for nobody). The hub's feed over a real (in-memory SQLite) store, the
// server's event stream and its metrics, and clients over HTTP.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DesiredPack } from '../engine/index.js';
import { desiredOrThrow, loadExamples } from '../engine/testing/runner.js';
import { Feed, type HubEvent } from '../hub/feed.js';
import * as present from '../hub/present.js';
import { streamEvent, unplacedView, type PackContext } from '../hub/stream-events.js';
import { createStore, toPackStatus, type Store } from '../store/index.js';
import { advance, packStatus } from '../store/testing/fixtures.js';
import { createMetrics } from './metrics.js';
import { EventStream, formatEvent, LIVE_COMMENT } from './sse.js';

// Every view the hub builds, counted; the real builder does the work.
vi.mock('../hub/present.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../hub/present.js')>();
  return { ...actual, packView: vi.fn(actual.packView) };
});
const { packView: realPackView } =
  await vi.importActual<typeof import('../hub/present.js')>('../hub/present.js');
const built = vi.mocked(present.packView);

const secret = 's3cr3t-value-long';
const warning = { object: 'Pod apps/web-1', reason: 'BackOff', message: 'restarting', count: 2 };

let store: Store;
let feed: Feed;
let stream: EventStream;
let metrics: ReturnType<typeof createMetrics>;
let server: Server;
let url: string;
let app: DesiredPack;
let context: (cluster: string, pack: string) => PackContext | undefined;

beforeEach(async () => {
  built.mockClear();
  store = await createStore({ url: ':memory:', secretKey: randomBytes(32) });
  await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
  await store.clusters.create({ name: 'dev', kubeconfig: 'k' });
  const desired = desiredOrThrow(await loadExamples(['monitoring.yaml']), {
    cluster: 'prod',
    values: { monitoring: { adminPassword: secret } },
  });
  app = desired[0] as DesiredPack;
  context = (cluster, pack) =>
    cluster === 'prod' && pack === app.pack.name
      ? { desired: app, stale: false, warnings: () => [warning] }
      : undefined;
  feed = new Feed(store, { packContext: context, summarize: () => undefined, log: () => undefined });
  metrics = createMetrics({ phaseCounts: () => Promise.resolve(new Map()), defaultMetrics: false });
  stream = new EventStream(
    { subscribe: (listener) => feed.subscribe(listener), eventsSince: (id, o) => feed.eventsSince(id, o) },
    {
      onEvent: (event) => {
        metrics.observeEvent(event);
      },
    },
  );
  stream.start();
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const cluster = new URL(req.url ?? '/', 'http://hub').searchParams.get('cluster');
    void stream.connect(res, cluster === null ? {} : { cluster });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterEach(async () => {
  stream.close();
  await new Promise((resolve) => server.close(resolve));
  feed.close();
  await store.close();
});

/** A client of the stream (of one cluster, or all): what it has read, and a wait for more. */
async function client(cluster?: string) {
  const res = await fetch(cluster === undefined ? url : `${url}?cluster=${cluster}`);
  if (!res.body) throw new Error('no body');
  const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const decoder = new TextDecoder();
  let text = '';
  const until = async (seen: (text: string) => boolean) => {
    while (!seen(text)) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the stream ended after: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
  };
  await until((t) => t.includes(LIVE_COMMENT));
  return {
    until,
    /** The events read since the stream went live. */
    events: () => text.slice(text.indexOf(LIVE_COMMENT) + LIVE_COMMENT.length),
    close: () => reader.cancel(),
  };
}

/** A turn of the event loop: the stream's fan-out of what was published has run. */
const fannedOut = () => new Promise((resolve) => setImmediate(resolve));

/** Statuses of the hub's pack on prod (failed, then green) and of a pack it does not run; then one on dev. */
async function install(): Promise<void> {
  const failed = { ...packStatus('failed'), message: `image pull failed: ${secret}` };
  await store.packStatus.record({ cluster: 'prod', pack: app.pack.name, status: failed });
  await store.packStatus.record({
    cluster: 'prod',
    pack: app.pack.name,
    status: advance(failed, 'success', '2026-01-01T00:01:00.000Z'),
  });
  await store.packStatus.record({ cluster: 'prod', pack: 'other', status: packStatus('processing') });
  await store.packStatus.record({ cluster: 'dev', pack: 'tools', status: packStatus('success') });
}

/** The id of the last event stored (the clusters' registrations, before any client connects). */
async function lastId(cluster?: string): Promise<number> {
  return (await store.eventsSince(0, cluster === undefined ? {} : { cluster })).at(-1)?.id ?? 0;
}

/**
 * The wire text of the events stored after `after` as the stream sent them when it built every view at once,
 * for a client of `cluster` (undefined: all).
 */
async function eagerText(after: number, cluster?: string): Promise<string> {
  const stored = await store.eventsSince(after, cluster === undefined ? {} : { cluster });
  return stored
    .map((e): HubEvent => {
      if (e.kind !== 'pack.status') return streamEvent(e, context);
      const pack = context(e.cluster, e.pack);
      const status = toPackStatus(e.status);
      const data = pack
        ? realPackView(pack.desired, status, pack.stale, pack.drift, pack.warnings)
        : unplacedView(e.pack, status);
      return { id: e.id, time: e.time, cluster: e.cluster, kind: 'pack.status', pack: e.pack, data };
    })
    .map(formatEvent)
    .join('');
}

describe("the live stream's pack views", () => {
  it('are not built while no client is connected; the metrics still see each run end', async () => {
    await install();
    await fannedOut();
    expect(built).not.toHaveBeenCalled();
    // Install durations come from the statuses, not their views: the pack that failed, then went green, and
    // the dev pack went green (`other` has not ended).
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/strata_pack_install_duration_seconds_count\{result="failed"\} 1\n/);
    expect(text).toMatch(/strata_pack_install_duration_seconds_count\{result="success"\} 2\n/);
  });

  it('are built once per event for all the clients that get it, which get what an eager build sent', async () => {
    const everything = [await client(), await client()];
    const prod = await client('prod');
    const dev = await client('dev');
    const before = await lastId();
    await install();
    const last = await lastId();
    const lastProd = await lastId('prod');
    for (const c of everything) await c.until((t) => t.includes(`id: ${String(last)}\n`));
    await prod.until((t) => t.includes(`id: ${String(lastProd)}\n`));
    await dev.until((t) => t.includes(`id: ${String(last)}\n`));

    const all = await eagerText(before);
    expect(all).toContain('event: pack.status');
    expect(all).toContain('"events":[{"object":"Pod apps/web-1"');
    expect(all).not.toContain(secret);
    for (const c of everything) expect(c.events()).toBe(all);
    expect(prod.events()).toBe(await eagerText(before, 'prod'));
    expect(dev.events()).toBe(await eagerText(before, 'dev'));
    // Two statuses of the pack the hub runs: two views, whatever the number of clients.
    expect(built).toHaveBeenCalledTimes(2);
    for (const c of [...everything, prod, dev]) await c.close();
  });

  it('are built only for the clients of the cluster the event is about', async () => {
    const dev = await client('dev');
    const before = await lastId();
    await install();
    const last = await lastId();
    await dev.until((t) => t.includes(`id: ${String(last)}\n`));
    expect(dev.events()).toBe(await eagerText(before, 'dev'));
    expect(built).not.toHaveBeenCalled();
    await dev.close();
  });
});
