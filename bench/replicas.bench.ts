// Hub replicas on one PostgreSQL (issue 16): failover time and event throughput. Prints numbers; asserts
// nothing (timings belong in benchmarks, not tests).
//
// 1. Failover: three `strata serve` replicas (compiled dist/, as bin/strata runs it) drive one real control
//    plane's cluster; N times the replica holding its lease is killed with -9 and the time until another holds it
//    is measured with the store's clock (the lease's acquired_at minus the kill), then a fresh replica replaces
//    the dead one. min / median / max.
// 2. Event throughput: status writes committed straight into the store (batches, as the status writer makes
//    them) reach an SSE client on every replica; the rate each client receives them at, with 1 and with 3
//    replicas (every replica tails the events table, so a write costs each one read).
//
//   npx tsx bench/replicas.bench.ts [--kills 10] [--events 5000] [--batch 100]
//
// PostgreSQL: STRATA_TEST_POSTGRES_URL, or the throwaway server of testenv/postgres.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { down, up } from '../testenv/src/controlplane.js';
import { freePort } from '../testenv/src/ports.js';
import { SseClient } from '../src/server/testing/server.js';
import { createStore } from '../src/store/index.js';
import { PostgresBackend } from '../src/store/testing/backends.js';
import { packStatus } from '../src/store/testing/fixtures.js';
import { repoRoot } from './hub-process.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '10' },
    events: { type: 'string', default: '5000' },
    batch: { type: 'string', default: '100' },
  },
});
const kills = Number(values.kills);
const eventCount = Number(values.events);
const batch = Number(values.batch);
const secretKey = randomBytes(32).toString('base64');
const CP = 'bench-replicas';

interface Replica {
  readonly id: string;
  readonly url: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
}

async function startReplica(databaseUrl: string): Promise<Replica> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-replica-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      join(repoRoot, 'dist', 'src', 'source-maps.js'),
      join(repoRoot, 'dist', 'src', 'cli', 'main.js'),
      'serve',
      '--address',
      `127.0.0.1:${String(port)}`,
      '--data-dir',
      dataDir,
      '--database-url',
      databaseUrl,
      '--log-level',
      'warn',
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, NODE_NO_WARNINGS: '1', STRATA_SECRET_KEY: secretKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  const id = await new Promise<string>((ready, failed) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const found = /replica (\S+) on PostgreSQL/.exec(log)?.[1];
      if (found !== undefined) ready(found);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      failed(new Error(`a replica exited with ${String(code)} before listening:\n${log}`));
    });
  });
  return { id, url: `http://127.0.0.1:${String(port)}`, dataDir, child };
}

async function stop(replica: Replica, signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
  const at = Date.now();
  if (replica.child.exitCode === null && replica.child.signalCode === null) {
    const exited = new Promise((r) => replica.child.once('exit', r));
    replica.child.kill(signal);
    await exited;
  }
  rmSync(replica.dataDir, { recursive: true, force: true });
  return at;
}

const pg = new PostgresBackend();
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function holder(url: string, cluster: string): Promise<{ holder: string | null; acquiredAt: number }> {
  const rows = await pg.query(
    url,
    `select l.holder, l.acquired_at from cluster_leases l join clusters c on c.id = l.cluster_id where c.name = '${cluster}'`,
  );
  return {
    holder: (rows[0]?.holder as string | null | undefined) ?? null,
    acquiredAt: Date.parse(String(rows[0]?.acquired_at)),
  };
}

async function failover(): Promise<void> {
  const url = await pg.freshUrl();
  const cp = await up({ name: CP, nodes: 1 });
  const replicas = [await startReplica(url)];
  const token = readFileSync(join((replicas[0] as Replica).dataDir, 'admin-token'), 'utf8').trim();
  replicas.push(await startReplica(url), await startReplica(url));
  const response = await fetch(`${(replicas[0] as Replica).url}/api/v1/clusters`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', kubeconfig: readFileSync(cp.kubeconfig, 'utf8') }),
  });
  if (!response.ok)
    throw new Error(`registering the cluster: ${String(response.status)} ${await response.text()}`);
  const times: number[] = [];
  try {
    for (let i = 0; i < kills; i++) {
      let current = await holder(url, 'bench');
      while (current.holder === null) {
        await new Promise((r) => setTimeout(r, 50));
        current = await holder(url, 'bench');
      }
      const victim = replicas.find((r) => r.id === current.holder);
      if (!victim) throw new Error(`lease held by ${current.holder}, which is not one of ours`);
      const killedAt = await stop(victim, 'SIGKILL');
      replicas.splice(replicas.indexOf(victim), 1);
      let next = await holder(url, 'bench');
      // Polled every 50 ms: the lease row is the thing measured, no event announces it.
      while (next.holder === null || next.holder === victim.id) {
        await new Promise((r) => setTimeout(r, 50));
        next = await holder(url, 'bench');
      }
      times.push(next.acquiredAt - killedAt);
      process.stdout.write(`kill ${String(i + 1)}: ${String(next.acquiredAt - killedAt)} ms\n`);
      replicas.push(await startReplica(url));
    }
  } finally {
    for (const replica of replicas) await stop(replica);
    await down({ name: CP });
  }
  process.stdout.write(
    `failover over ${String(kills)} kills (kill -9 → another replica holds the lease): ` +
      `min ${String(Math.min(...times))} ms, median ${String(median(times))} ms, max ${String(Math.max(...times))} ms\n`,
  );
}

async function throughput(count: number): Promise<void> {
  const url = await pg.freshUrl();
  const replicas: Replica[] = [await startReplica(url)];
  const token = readFileSync(join((replicas[0] as Replica).dataDir, 'admin-token'), 'utf8').trim();
  for (let i = 1; i < count; i++) replicas.push(await startReplica(url));
  const store = await createStore({ url, secretKey });
  // A cluster no replica can reach (its kubeconfig is not one): the events are all the store's writes.
  await store.clusters.create({ name: 'events', kubeconfig: 'not a kubeconfig' });
  const startId = (await store.eventsSince(0, { limit: 10_000 })).at(-1)?.id ?? 0;
  const clients = await Promise.all(
    replicas.map((r) => SseClient.open(r.url, { token, lastEventId: startId })),
  );
  const started = Date.now();
  let written = 0;
  for (let i = 0; written < eventCount; i++) {
    const inputs = Array.from({ length: batch }, (_, j) => ({
      cluster: 'events',
      pack: `pack-${String(j)}`,
      status: packStatus(i % 2 === 0 ? 'processing' : 'success', { message: `write ${String(i)}` }),
    }));
    const recorded = await store.packStatus.recordMany(inputs);
    written += recorded.reduce((n, r) => n + r.events.length, 0);
  }
  const lastId = Number((await pg.query(url, 'select max(id) as id from events'))[0]?.id);
  const writtenIn = Date.now() - started;
  const rates = await Promise.all(
    clients.map(async (client) => {
      await client.until(() => (client.ids.at(-1) ?? 0) >= lastId, 300_000, `event ${String(lastId)}`);
      return Math.round((written / (Date.now() - started)) * 1000);
    }),
  );
  for (const client of clients) await client.close();
  await store.close();
  for (const replica of replicas) await stop(replica);
  process.stdout.write(
    `throughput with ${String(count)} replica(s): ${String(written)} events committed in ${String(writtenIn)} ms ` +
      `(${String(Math.round((written / writtenIn) * 1000))}/s); received by each replica's SSE client at ` +
      `${rates.map((r) => `${String(r)}/s`).join(', ')}\n`,
  );
}

execFileSync(join(repoRoot, 'scripts', 'build-dist'), { stdio: 'inherit' });
await pg.setup();
try {
  if (kills > 0) await failover();
  await throughput(1);
  await throughput(3);
} finally {
  await pg.teardown();
}
