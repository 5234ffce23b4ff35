// HTTP API benchmark on a real listening hub (SQLite, 127.0.0.1) with a real control plane behind it:
//  1. p50/p99 of GET /api/v1/clusters/{c}/page for a cluster with 200 packs (200 ConfigMap packs, installed
//     for real until green: the page is built from the cluster runner's live statuses, not only the store, so
//     seeding store rows alone would give an empty page);
//  2. SSE fan-out to 500 connected clients: time from the start of a store write (a pack status change) to
//     the moment the LAST client has received its event; p50/p99 over the rounds.
// Clients run in the same process as the server (one event loop), so fan-out numbers include the clients'
// own parsing: an upper bound. Prints numbers; asserts nothing.
//
//   npx tsx bench/server.bench.ts [--packs 200] [--reads 500] [--clients 500] [--rounds 50]
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { down, up } from '../testenv/src/controlplane.js';
import { SqliteBackend } from '../src/store/testing/backends.js';
import { advance, packStatus } from '../src/store/testing/fixtures.js';
import { startTestHub } from '../src/server/testing/server.js';

const { values } = parseArgs({
  options: {
    packs: { type: 'string', default: '200' },
    reads: { type: 'string', default: '500' },
    clients: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '50' },
  },
});
const packs = Number(values.packs);
const reads = Number(values.reads);
const clients = Number(values.clients);
const rounds = Number(values.rounds);
const CP = 'server-bench';

const pct = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const ms = (n: number) => `${n.toFixed(2)} ms`;

function bigProfile(n: number): string {
  const lines = [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata: { name: bench }',
    'spec:',
    '  version: 1.0.0',
    '  type: add-on',
    '  packs:',
  ];
  for (let i = 0; i < n; i++) {
    lines.push(
      `    - name: cm-${i}`,
      '      layer: addon',
      '      version: 1.0.0',
      '      type: manifest',
      '      namespace: bench',
      '      manifests:',
      `        - { apiVersion: v1, kind: ConfigMap, metadata: { name: cm-${i} }, data: { i: "${i}" } }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const backend = new SqliteBackend();
await backend.setup();
await down({ name: CP });
const cp = await up({ name: CP, nodes: 1 });
// Every client uses the one viewer token: the per-token cap (32 by default) must let them all in.
const t = await startTestHub(backend, {
  server: { validateResponses: false, streamLimits: { perToken: clients, total: clients + 100 } },
});
try {
  // --- 1. page latency -------------------------------------------------------------------------------------
  const reg = await t.api('POST', '/api/v1/clusters', {
    body: { name: 'bench', kubeconfig: readFileSync(cp.kubeconfig, 'utf8') },
  });
  if (reg.status !== 201) throw new Error(reg.text);
  const imp = await t.api('POST', '/api/v1/profiles', {
    body: { yaml: bigProfile(packs), file: 'bench.yaml' },
  });
  if (imp.status !== 201) throw new Error(imp.text);
  const att = await t.api('POST', '/api/v1/clusters/bench/attachments', { body: { profile: 'bench' } });
  if (att.status !== 201) throw new Error(att.text);
  const installStart = performance.now();
  for (;;) {
    const page = (await t.api('GET', '/api/v1/clusters/bench/page')).json as { packs: { phase: string }[] };
    const green = page.packs.filter((p) => p.phase === 'success').length;
    if (page.packs.length === packs && green === packs) break;
    if (performance.now() - installStart > 600_000)
      throw new Error(`only ${green}/${packs} packs green after 10 min`);
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(
    `installed ${packs} ConfigMap packs to green in ${((performance.now() - installStart) / 1000).toFixed(1)} s`,
  );

  const headers = { authorization: `Bearer ${t.tokens.viewer}` };
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < reads; i++) {
    const start = performance.now();
    const res = await fetch(`${t.url}/api/v1/clusters/bench/page`, { headers });
    bytes = (await res.arrayBuffer()).byteLength;
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(
    `GET /clusters/{c}/page, ${packs} packs (${(bytes / 1024).toFixed(0)} KiB), ${reads} sequential reads: ` +
      `p50 ${ms(pct(times, 50))}  p99 ${ms(pct(times, 99))}  max ${ms(times.at(-1) ?? NaN)}`,
  );

  // --- 2. SSE fan-out -----------------------------------------------------------------------------------------
  await t.store.clusters.create({ name: 'fanout', kubeconfig: readFileSync(cp.kubeconfig, 'utf8') });
  const latest = new Array<number>(clients).fill(0);
  let waiting: { id: number; resolve: () => void; remaining: number } | undefined;
  const controllers: AbortController[] = [];
  const streams: Promise<void>[] = [];
  for (let c = 0; c < clients; c++) {
    const controller = new AbortController();
    controllers.push(controller);
    const res = await fetch(`${t.url}/api/v1/events?cluster=fanout`, { headers, signal: controller.signal });
    const body = res.body;
    if (body === null) throw new Error('no body');
    streams.push(
      (async () => {
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          for (const match of buffer.matchAll(/^id: (\d+)$/gm))
            latest[c] = Math.max(latest[c] ?? 0, Number(match[1]));
          buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
          const w = waiting;
          if (w && (latest[c] ?? 0) >= w.id && --w.remaining === 0) w.resolve();
        }
      })().catch(() => undefined),
    );
  }
  while (t.server.events.clientCount < clients) await new Promise((r) => setTimeout(r, 50));

  const fanout: number[] = [];
  let status = packStatus('processing');
  for (let round = 0; round < rounds; round++) {
    const next = advance(status, round % 2 === 0 ? 'success' : 'processing', new Date().toISOString());
    status = next;
    const start = performance.now();
    let id = 0;
    const done = new Promise<void>((resolve) => {
      waiting = { id: Number.MAX_SAFE_INTEGER, resolve, remaining: clients };
    });
    const written = await t.store.packStatus.record({ cluster: 'fanout', pack: 'p', status: next });
    id = written.events.at(-1)?.id ?? 0;
    if (waiting) {
      waiting.id = id;
      // Clients that already got it before the id was known.
      waiting.remaining = latest.filter((l) => l < id).length;
      if (waiting.remaining === 0) waiting.resolve();
    }
    await done;
    fanout.push(performance.now() - start);
  }
  fanout.sort((a, b) => a - b);
  console.log(
    `SSE fan-out to ${clients} clients, ${rounds} rounds (store write → last client received): ` +
      `p50 ${ms(pct(fanout, 50))}  p99 ${ms(pct(fanout, 99))}  max ${ms(fanout.at(-1) ?? NaN)}`,
  );
  for (const c of controllers) c.abort();
  await Promise.all(streams);
} finally {
  await t.close();
  await backend.teardown();
  await down({ name: CP });
}
