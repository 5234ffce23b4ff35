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
//   npx tsx bench/sse-fanout.bench.ts [--clients 10000] [--client-procs 4] [--cycles 10] [--per-cycle]
//     [--hub-flag=--node-flag]
//
// --per-cycle prints each cycle's delete → probe, first and last client: whether the p99 is every cycle's
// fan-out or one cycle that waited (a GC, a busy machine) before it began.
//
// The hub holds one socket per client: its soft `ulimit -n` must be above --clients (make bench raises it).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ms, summarize } from './engine/stats.js';
import { apiOk, attachProfile, cpuMsOf, untilGreen, type BenchPackSpec } from './hub/hub-api.js';
import { benchRun } from './hub/bench-run.js';
import { startClientProcesses } from './hub/client-processes.js';
import { probeClient, type Cycle } from './hub/probe-client.js';
import { startHub } from './hub-process.js';
import { reportResult } from './result.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '10000' },
    'client-procs': { type: 'string', default: '4' },
    cycles: { type: 'string', default: '10' },
    'per-cycle': { type: 'boolean', default: false },
    /** Extra node flags for the hub process, e.g. --hub-flag=--cpu-prof (repeatable). */
    'hub-flag': { type: 'string', multiple: true, default: [] },
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

const run = benchRun('sse-fanout', CP);

/** A process's CPU time in the kernel so far, ms (/proc/<pid>/stat field 15, stime; USER_HZ is 100). */
async function systemMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) * 10;
}
const { log, children } = run;
const load = () => loadavg()[0] ?? Number.NaN;

async function main(): Promise<void> {
  const cp = await run.controlPlane();
  const { core } = cp;
  // Every client uses the one token: the per-token stream cap (32 by default) must let them all in.
  run.hub = await startHub('dist', { maxStreams: clients + 100, nodeFlags: values['hub-flag'] });
  const h = run.hub;
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
  const probe = probeClient(h, CLUSTER);
  await probe.live;

  log(`opening ${String(clients)} SSE streams from ${String(clientProcs)} processes`);
  const opened = performance.now();
  const fleet = await startClientProcesses(h, {
    cluster: CLUSTER,
    count: clients,
    procs: clientProcs,
    children,
  });
  log(`all streams live in ${((performance.now() - opened) / 1000).toFixed(1)} s`);

  const fan: Cycle[] = [];
  let missing = 0;
  let hubCpuMs = 0;
  let hubSystemMs = 0;
  let clientCpuMs = 0;
  const loads: number[] = [];
  for (let k = 0; k < cycles; k++) {
    const cpu = await cpuMsOf(h.pid);
    const system = await systemMsOf(h.pid);
    const clientCpu = await fleet.cpuMs();
    const cycle = await probe.cycle(core, `probe-${String(k % PROBE_PACKS)}`);
    // Quiet before the next delete: every stream has this cycle's events (see the header).
    missing += await fleet.delivered(cycle.ids, 60_000);
    hubCpuMs += (await cpuMsOf(h.pid)) - cpu;
    hubSystemMs += (await systemMsOf(h.pid)) - system;
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
    if (values['per-cycle'] && times.length > 0)
      log(
        `cycle (ids ${c.ids.join(', ')}): delete → probe ${ms(c.firstMs ?? Number.NaN)}, first client ` +
          `${ms(Math.min(...times) - c.trigger)}, last ${ms(Math.max(...times) - c.trigger)}`,
      );
  }
  const s = summarize(latencies);
  const spread = summarize(spreads);
  const perClientUs = (hubCpuMs * 1000) / cycles / clients;
  // Most of a socket write's cost is the kernel's (on loopback it runs the receiver's TCP input too): what is
  // left for the hub's JavaScript to cut is the rest.
  const systemShare = hubCpuMs > 0 ? (hubSystemMs / hubCpuMs) * 100 : Number.NaN;
  const clientSideUs = (clientCpuMs * 1000) / cycles / clients;
  const loadText = `load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`;
  log(
    `fan-out to ${String(clients)} clients: delete → each client p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, ` +
      `max ${ms(s.max)}; first → last client p99 ${ms(spread.p99)}; CPU per client per cycle: hub ` +
      `${perClientUs.toFixed(1)} µs (${systemShare.toFixed(0)} % in the kernel), client processes ${clientSideUs.toFixed(1)} µs; ${String(missing)} ` +
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
    figure: "the hub's share of that CPU in the kernel (socket writes)",
    target: '-',
    measured: systemShare,
    unit: '%',
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
  const exit = run.hub?.exited();
  if (exit !== undefined) log(`the hub ${exit}; its last output:\n${run.hub?.output().slice(-4000) ?? ''}`);
  throw error;
} finally {
  await run.teardown();
}
