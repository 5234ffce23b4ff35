// SSE fan-out (issue 15, item 4: "10,000 SSE clients on one hub with p99 delivery under 250 ms, from a separate
// process"), through a compiled `strata serve` (as bin/strata runs it) on SQLite with a kwok control plane
// behind it. `--clients` streams in `--client-procs` other processes (bench/hub/sse-clients.ts), one probe stream
// in this one. Each cycle deletes a probe pack's ConfigMap through the Kubernetes API; measured from that call to
// each client's receipt of the pack's first not-green status event, so it includes the watch → status path (P1).
//
// Method: a cycle starts once every client has received every persisted event of the cycle before (the hub put
// the ConfigMap back and the pack is green again). hub-scale.bench.ts started the next delete as soon as its
// probe, the first stream the hub writes to, saw green, while the hub was still writing that green status to the
// other 9,999 sockets: each delete then waited for the previous cycle's fan-out, and the figure was two fan-outs,
// not one delivery. Events faster than the hub can fan out are a throughput question; this measures delivery.
// Also printed: the hub's CPU per cycle per client (what one more client costs the hub) and the load average,
// since on a shared 2-core machine the hub's 10,000 socket writes wait for a core like everything else.
// Prints BENCH_RESULT lines (bench/result.ts); asserts nothing.
//
//   npx tsx bench/sse-fanout.bench.ts [--clients 10000] [--client-procs 4] [--cycles 10]
//
// The hub holds one socket per client: its soft `ulimit -n` must be above --clients (make bench raises it).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { down, up } from '../testenv/src/controlplane.js';
import { ms, summarize } from './engine/stats.js';
import { apiOk, attachProfile, configMapOf, cpuMsOf, untilGreen, type BenchPackSpec } from './hub/hub-api.js';
import { now, openSse, type SseMessage } from './hub/sse-client.js';
import { repoRoot, startHub, type HubProcess } from './hub-process.js';
import { reportResult } from './result.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '10000' },
    'client-procs': { type: 'string', default: '4' },
    cycles: { type: 'string', default: '10' },
  },
});
const clients = Number(values.clients);
const clientProcs = Number(values['client-procs']);
const cycles = Number(values.cycles);

// Per process: a helper may run this bench while the suite runs another.
const CP = `bench-fanout-${String(process.pid)}`;
const CLUSTER = 'fanout';
const PROBE_PACKS = 10;
const TARGET_P99_MS = 250;

const log = (line: string) => {
  process.stderr.write(`[sse-fanout ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};
const load = () => loadavg()[0] ?? Number.NaN;

let hub: HubProcess | undefined;
const children: ChildProcess[] = [];
let stopping: Promise<void> | undefined;
const teardown = (): Promise<void> =>
  (stopping ??= (async () => {
    for (const child of children) child.kill('SIGKILL');
    await hub?.stop().catch(() => undefined);
    await down({ name: CP });
  })());
process.once('SIGINT', () => {
  log('interrupted: stopping the hub, the clients and the control plane');
  void teardown().finally(() => process.exit(130));
});

/** One cycle: when the delete was sent, the persisted ids the probe saw, the first one not green. */
interface Cycle {
  readonly trigger: number;
  readonly ids: number[];
  firstId: number | undefined;
}

/** The probe stream: lets a cycle wait for its pack to turn not green, then green again. */
function probeClient(h: HubProcess) {
  let current: { pack: string; cycle: Cycle; sawNotGreen: boolean; done: () => void } | undefined;
  const onMessage = (m: SseMessage) => {
    if (m.kind !== 'pack.status' || m.data === undefined || m.id === undefined) return;
    const event = JSON.parse(m.data) as { pack: string; data: { phase: string } };
    const c = current;
    if (c === undefined || event.pack !== c.pack) return;
    c.cycle.ids.push(m.id);
    if (event.data.phase !== 'success' && !c.sawNotGreen) {
      c.sawNotGreen = true;
      c.cycle.firstId = m.id;
    } else if (event.data.phase === 'success' && c.sawNotGreen) c.done();
  };
  const client = openSse({ url: h.url, token: h.token, cluster: CLUSTER, parse: true, onMessage });
  return {
    live: client.live,
    close: () => {
      client.close();
    },
    async cycle(core: CoreV1Api, pack: string): Promise<Cycle> {
      const cycle: Cycle = { trigger: now(), ids: [], firstId: undefined };
      const back = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`pack ${pack}: not green again 60 s after its ConfigMap was deleted`));
        }, 60_000);
        current = {
          pack,
          cycle,
          sawNotGreen: false,
          done: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
      await core.deleteNamespacedConfigMap({ name: configMapOf(pack, 0), namespace: 'probe' });
      await back;
      current = undefined;
      return cycle;
    },
  };
}

/** `count` SSE streams spread over `procs` processes; resolves once every stream is live. */
async function startClientProcesses(h: HubProcess, count: number, procs: number) {
  const share = Math.ceil(count / procs);
  const list: ChildProcess[] = [];
  const lives: Promise<void>[] = [];
  for (let p = 0; p < procs && p * share < count; p++) {
    const n = Math.min(share, count - p * share);
    const script = join(repoRoot, 'bench', 'hub', 'sse-clients.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, h.url, h.token, CLUSTER, String(n)], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    list.push(child);
    lives.push(
      new Promise((resolve, reject) => {
        child.once('message', () => {
          resolve();
        });
        child.once('exit', (code) => {
          reject(new Error(`SSE client process ${String(p)} exited with ${String(code)} before it was live`));
        });
      }),
    );
  }
  await Promise.all(lives);
  const ask = <T>(child: ChildProcess, message: object, type: string): Promise<T> =>
    new Promise((resolve) => {
      const on = (reply: { type: string }) => {
        if (reply.type !== type) return;
        child.off('message', on);
        resolve(reply as T);
      };
      child.on('message', on);
      child.send(message);
    });
  const counts = async (ids: readonly number[]): Promise<number[]> => {
    const replies = await Promise.all(
      list.map((c) => ask<{ counts: number[] }>(c, { type: 'count', ids }, 'count')),
    );
    return ids.map((_, i) => replies.reduce((sum, r) => sum + (r.counts[i] ?? 0), 0));
  };
  return {
    /** Resolves once every stream has every id, or after `timeoutMs`; returns how many deliveries are missing. */
    async delivered(ids: readonly number[], timeoutMs: number): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const missing = (await counts(ids)).reduce((sum, n) => sum + (count - n), 0);
        if (missing === 0 || Date.now() > deadline) return missing;
        await sleep(20);
      }
    },
    /** The client processes' CPU time so far, ms, summed. */
    async cpuMs(): Promise<number> {
      const replies = await Promise.all(list.map((c) => ask<{ ms: number }>(c, { type: 'cpu' }, 'cpu')));
      return replies.reduce((sum, r) => sum + r.ms, 0);
    },
    async received(): Promise<Map<number, number[]>> {
      const replies = await Promise.all(
        list.map((c) => ask<{ received: [number, number[]][] }>(c, { type: 'report' }, 'report')),
      );
      const all = new Map<number, number[]>();
      for (const r of replies)
        for (const [id, times] of r.received) all.set(id, [...(all.get(id) ?? []), ...times]);
      return all;
    },
    async close(): Promise<void> {
      await Promise.all(
        list.map(
          (c) =>
            new Promise((resolve) => {
              c.once('exit', resolve);
              c.send({ type: 'close' });
            }),
        ),
      );
    },
  };
}

async function main(): Promise<void> {
  execFileSync(join(repoRoot, 'scripts', 'build-dist'), { stdio: 'inherit' });
  await down({ name: CP });
  log('starting the control plane');
  const cp = await up({ name: CP, nodes: 1, log });
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  // Every client uses the one token: the per-token stream cap (32 by default) must let them all in.
  hub = await startHub('dist', { maxStreams: clients + 100 });
  const h = hub;
  await apiOk(h, 'POST', '/api/v1/clusters', 201, {
    name: CLUSTER,
    kubeconfig: readFileSync(cp.kubeconfig, 'utf8'),
  });
  const probePacks: BenchPackSpec[] = Array.from({ length: PROBE_PACKS }, (_, i) => ({
    name: `probe-${String(i)}`,
    namespace: 'probe',
    configMaps: 1,
  }));
  await attachProfile(h, CLUSTER, 'probe', probePacks);
  await untilGreen(h, CLUSTER, PROBE_PACKS, { timeoutMs: 120_000, log });
  const probe = probeClient(h);
  await probe.live;

  log(`opening ${String(clients)} SSE streams from ${String(clientProcs)} processes`);
  const opened = performance.now();
  const fleet = await startClientProcesses(h, clients, clientProcs);
  log(`all streams live in ${((performance.now() - opened) / 1000).toFixed(1)} s`);

  const fan: Cycle[] = [];
  let missing = 0;
  let hubCpuMs = 0;
  let clientCpuMs = 0;
  const loads: number[] = [];
  for (let k = 0; k < cycles; k++) {
    const cpu = await cpuMsOf(h.pid);
    const clientCpu = await fleet.cpuMs();
    const cycle = await probe.cycle(core, `probe-${String(k % PROBE_PACKS)}`);
    // Quiet before the next delete: every stream has this cycle's events (see the header).
    missing += await fleet.delivered(cycle.ids, 60_000);
    hubCpuMs += (await cpuMsOf(h.pid)) - cpu;
    clientCpuMs += (await fleet.cpuMs()) - clientCpu;
    loads.push(load());
    fan.push(cycle);
  }
  const received = await fleet.received();
  const latencies: number[] = [];
  const spreads: number[] = [];
  for (const c of fan) {
    const times = c.firstId === undefined ? [] : (received.get(c.firstId) ?? []);
    for (const t of times) latencies.push(t - c.trigger);
    if (times.length > 0) spreads.push(Math.max(...times) - Math.min(...times));
  }
  const s = summarize(latencies);
  const spread = summarize(spreads);
  const perClientUs = (hubCpuMs * 1000) / cycles / clients;
  const clientSideUs = (clientCpuMs * 1000) / cycles / clients;
  const loadText = `load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`;
  log(
    `fan-out to ${String(clients)} clients: delete → each client p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, ` +
      `max ${ms(s.max)}; first → last client p99 ${ms(spread.p99)}; CPU per client per cycle: hub ` +
      `${perClientUs.toFixed(1)} µs, client processes ${clientSideUs.toFixed(1)} µs; ${String(missing)} ` +
      `deliveries missing; ${loadText}`,
  );
  reportResult({
    figure:
      `SSE delivery p99, ${String(clients)} clients in ${String(clientProcs)} processes ` +
      `(delete call → each client, ${String(s.n / clients)} events; ${loadText})`,
    target: `< ${String(TARGET_P99_MS)}`,
    measured: missing > 0 ? Number.NaN : s.p99,
    unit: 'ms',
  });
  reportResult({ figure: 'SSE delivery p50, same run', target: '-', measured: s.p50, unit: 'ms' });
  reportResult({
    figure: 'SSE fan-out spread p99 (first → last client of an event)',
    target: '-',
    measured: spread.p99,
    unit: 'ms',
  });
  reportResult({
    figure: 'hub CPU per client per cycle (delete → green, all its events)',
    target: '-',
    measured: perClientUs,
    unit: 'µs',
  });
  reportResult({
    figure: "client processes' CPU per client per cycle (receiving and finding the ids)",
    target: '-',
    measured: clientSideUs,
    unit: 'µs',
  });
  reportResult({ figure: 'SSE deliveries missing', target: '≤ 0', measured: missing, unit: '' });
  await fleet.close();
  probe.close();
}

try {
  await main();
} catch (error) {
  const exit = hub?.exited();
  if (exit !== undefined) log(`the hub ${exit}; its last output:\n${hub?.output().slice(-4000) ?? ''}`);
  throw error;
} finally {
  await teardown();
}
