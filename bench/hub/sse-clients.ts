// A process of SSE clients for the fan-out bench (bench/hub-scale.bench.ts starts a few): opens `count`
// streams to the hub, tells its parent when all are live, and on request sends back, per event id, when each
// stream received it. Run as a child with an IPC channel:
//
//   node --import tsx bench/hub/sse-clients.ts <hub url> <token> <cluster> <count>
import { openIdOnlySse, type SseClient } from './sse-client.js';

const [url, token, cluster, countText] = process.argv.slice(2);
if (url === undefined || token === undefined || cluster === undefined || countText === undefined)
  throw new Error('usage: sse-clients.ts <hub url> <token> <cluster> <count>');
const count = Number(countText);
const send = (message: unknown) => {
  process.send?.(message);
};

/** Per event id, the receipt time at each stream (in no particular order). */
const received = new Map<number, number[]>();
let ended = 0;
const clients: SseClient[] = [];
// Opened in batches, so the hub's accept queue and the auth checks are not hit by thousands at once.
const BATCH = 250;
for (let i = 0; i < count; i += BATCH) {
  const batch: SseClient[] = [];
  for (let j = i; j < Math.min(count, i + BATCH); j++) {
    batch.push(
      openIdOnlySse({
        url,
        token,
        cluster,
        onId: (id, at) => {
          const times = received.get(id);
          if (times === undefined) received.set(id, [at]);
          else times.push(at);
        },
        onEnd: () => {
          ended++;
        },
      }),
    );
  }
  await Promise.all(batch.map((c) => c.live));
  clients.push(...batch);
}
send({ type: 'live', count: clients.length });

process.on('message', (message: { type: string; ids?: number[] }) => {
  if (message.type === 'count') {
    // How many streams got each of these ids so far (the parent waits for stragglers).
    send({ type: 'count', counts: (message.ids ?? []).map((id) => received.get(id)?.length ?? 0), ended });
  } else if (message.type === 'cpu') {
    // This process's CPU time so far, ms: the parent takes differences around what it measures.
    const used = process.cpuUsage();
    send({ type: 'cpu', ms: (used.user + used.system) / 1000 });
  } else if (message.type === 'report') {
    send({ type: 'report', received: [...received], ended });
  } else if (message.type === 'close') {
    for (const c of clients) c.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
