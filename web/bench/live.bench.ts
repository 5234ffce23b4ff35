// The UI's live-update path without a browser: a Cluster Profile page of N packs (each with 10 resources),
// then a stream of pack.status events as the hub sends them (each carries the pack's view; applied by applyEvent).
// Prints per-event p50/p99/max, events per second, and how many pack objects each event replaced: the rows are
// memoised on the pack object, so "1 per event" means one row re-renders and the other N-1 do not.
//
//   npx tsx web/bench/live.bench.ts [--packs 500] [--events 20000]
import { parseArgs } from 'node:util';
import type { PackView, StreamEvent } from '../src/api/types';
import { pack, page } from '../src/live/fixtures';
import { applyEvent, fromPage, type LiveState } from '../src/live/reducer';

const { values } = parseArgs({
  options: {
    packs: { type: 'string', default: '500' },
    events: { type: 'string', default: '20000' },
  },
});
const packs = Number(values.packs);
const events = Number(values.events);
const RESOURCES = 10;

const pct = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

/** Pack i's view after `ready` of its resources are ready, as the hub would send it. */
function viewOf(i: number, ready: number): PackView {
  const done = ready === RESOURCES;
  return pack(`p${String(i)}`, {
    order: i,
    phase: done ? 'success' : 'processing',
    color: done ? 'green' : 'blue',
    icon: done ? '✓' : '◐',
    label: done ? 'Success' : 'Processing',
    condition: done ? 'Ready' : 'Installing',
    reason: done ? 'AllResourcesReady' : 'Installing',
    message: done ? `${RESOURCES}/${RESOURCES} resources ready` : `${ready}/${RESOURCES} resources ready`,
    progress: { ready, total: RESOURCES },
    startTime: '2026-01-01T00:00:10.000Z',
    ...(done ? { endTime: '2026-01-01T00:01:10.000Z' } : {}),
    resources: Array.from({ length: RESOURCES }, (_, r) => ({
      ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'bench', name: `d${String(r)}` },
      ...(r < ready
        ? {
            state: 'Ready' as const,
            reason: 'Available',
            message: `Deployment bench/d${String(r)}: 1/1 available`,
          }
        : {
            state: 'Progressing' as const,
            reason: 'LessAvailable',
            message: `Deployment bench/d${String(r)}: 0/1 available`,
          }),
    })),
  });
}

let state: LiveState = fromPage(
  page(Array.from({ length: packs }, (_, i) => pack(`p${String(i)}`, { order: i }))),
);
const ready = new Array<number>(packs).fill(0);
const times: number[] = [];
let replaced = 0;
// Events as JSON text, as they arrive from the stream, so the parse is part of the measured path.
const wire: string[] = [];
for (let id = 1; id <= events; id++) {
  const i = (id * 7919) % packs; // spread over the packs, deterministic
  ready[i] = ((ready[i] ?? 0) + 1) % (RESOURCES + 1); // 1, 2 … 10 (green), 0 (a new revision), 1 …
  const event: StreamEvent = {
    id,
    kind: 'pack.status',
    cluster: 'local',
    pack: `p${String(i)}`,
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, id)).toISOString(),
    data: viewOf(i, ready[i] ?? 0),
  };
  wire.push(JSON.stringify(event));
}

const started = performance.now();
for (const text of wire) {
  const t0 = performance.now();
  const next = applyEvent(state, JSON.parse(text) as StreamEvent);
  times.push(performance.now() - t0);
  for (let i = 0; i < packs; i++) if (next.packs[i] !== state.packs[i]) replaced++;
  state = next;
}
const total = performance.now() - started;
times.sort((a, b) => a - b);
const heap = process.memoryUsage().heapUsed / 1024 / 1024;
process.stdout.write(
  [
    `ui live reducer: ${packs} packs × ${RESOURCES} resources, ${events} pack.status events (parse + apply)`,
    `  per event: p50 ${pct(times, 50).toFixed(3)} ms, p99 ${pct(times, 99).toFixed(3)} ms, max ${(times.at(-1) ?? 0).toFixed(3)} ms`,
    `  throughput: ${Math.round(events / (total / 1000))} events/s`,
    `  pack objects replaced per event: ${(replaced / events).toFixed(3)} (1.000 = only the changed row re-renders)`,
    `  heap used: ${heap.toFixed(1)} MiB`,
    `  cluster rollup at the end: ${state.cluster.phase} ${JSON.stringify(state.cluster.counts)}`,
    '',
  ].join('\n'),
);
