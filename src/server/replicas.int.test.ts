// Hub replicas on one PostgreSQL (issue 16), end to end: real `strata serve` processes (bin/strata, dist/), a real
// PostgreSQL (testenv/postgres) and real control planes (testenv): three replicas and four control planes, so
// the replica killed drives two clusters or more, or the others do.
//
// What is checked, and how:
// - each cluster driven by one replica at a time: every replica logs "driving cluster X" before it starts a
//   runner and "cluster X: runner stopped" once it has stopped; per cluster those intervals never overlap (a
//   replica killed with -9 ends its intervals at the kill). Each stored status event keeps the lease epoch it
//   was written under, and per cluster the epochs never go down: no late write from an earlier holder; and each
//   API server's audit log (every write, with the replica's id in its user agent) shows no object written by two
//   replicas at overlapping times, the writer changing only where the lease did;
// - failover: the victim's clusters get a new lease holder within 15 s of kill -9 (the store's clock);
// - everything ends green, each pack's history one unbroken chain with no transition twice;
// - an SSE client on a surviving replica gets every stored event after its Last-Event-ID exactly once, in
//   order: its ids are exactly the events table's;
// - the events that are not stored (a profile published, an attachment changed, a drift) reach, live and once,
//   the streams of replicas other than the one where they happened;
// - a live object is tried against the health rules through a replica that does not drive its cluster;
// - a replica paused (SIGSTOP) past its lease and resumed (SIGCONT) stops its runner and leaves no write after
//   its successor's.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { freePort } from '../../testenv/src/ports.js';
import { profileUpload } from '../profile/index.js';
import { PostgresBackend } from '../store/testing/backends.js';
import { SseClient, type SseMessage } from './testing/server.js';

const root = resolve(import.meta.dirname, '..', '..');
const CPS = ['replicas-a', 'replicas-b', 'replicas-c', 'replicas-d'] as const;
const secretKey = randomBytes(32).toString('base64');
const pg = new PostgresBackend();
const planes = new Map<string, ControlPlaneState>();
const replicas: Replica[] = [];
const dirs: string[] = [];

interface LogLine {
  readonly at: number;
  readonly text: string;
}

interface Replica {
  readonly id: string;
  readonly url: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  killedAt?: number;
}

/** A `strata serve` process on `databaseUrl`; resolves once it listens. */
async function startReplica(databaseUrl: string): Promise<Replica> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-replica-'));
  dirs.push(dataDir);
  const port = await freePort();
  const child = spawn(
    join(root, 'bin/strata'),
    ['serve', '--address', `127.0.0.1:${String(port)}`, '--data-dir', dataDir, '--database-url', databaseUrl],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, STRATA_SECRET_KEY: secretKey, STRATA_LOG_LEVEL: 'warn' },
    },
  );
  const lines: LogLine[] = [];
  let partial = '';
  const id = await new Promise<string>((ready, failed) => {
    const onData = (chunk: Buffer) => {
      const at = Date.now();
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) {
        lines.push({ at, text });
        const listening = /hub listening on .*, replica (\S+) on PostgreSQL/.exec(text);
        if (listening?.[1] !== undefined) ready(listening[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      failed(new Error(`replica exited with ${String(code)}:\n${lines.map((l) => l.text).join('\n')}`));
    });
  });
  const replica: Replica = { id, url: `http://127.0.0.1:${String(port)}`, dataDir, child, lines };
  replicas.push(replica);
  return replica;
}

async function kill(replica: Replica, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
  const exited = new Promise((r) => replica.child.once('exit', r));
  replica.killedAt ??= Date.now();
  replica.child.kill(signal);
  await exited;
}

/**
 * A client of one replica, as a user's would be: a 503 with Retry-After (a cluster between two drivers, or just
 * registered and not yet leased) is sent again after the time it names, for up to 20 s.
 */
function client(replica: Replica, token: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const bundle = Buffer.isBuffer(body);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await fetch(`${replica.url}${path.startsWith('/readyz') ? '' : '/api/v1'}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': bundle ? 'application/gzip' : 'application/json' }),
        },
        ...(body === undefined ? {} : { body: bundle ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      const retryAfter = Number(res.headers.get('retry-after') ?? NaN);
      if (res.status === 503 && Number.isFinite(retryAfter) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
        continue;
      }
      if (!res.ok) throw new Error(`${method} ${path} on ${replica.id}: ${String(res.status)} ${text}`);
      return (text === '' ? undefined : JSON.parse(text)) as T;
    }
  };
}

interface Readiness {
  replica: {
    id: string;
    replicas: { id: string }[];
    clusters: { cluster: string; driver?: string; epoch: number }[];
  };
}
interface Page {
  cluster: { driver?: string };
  packs: { name: string; phase: string }[];
}
interface Transition {
  time: string;
  from: string;
  to: string;
}

/** Re-checks `check` every 200 ms until it returns a value (polling a state no event announces). */
async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function leases(
  url: string,
): Promise<Map<string, { holder: string | null; epoch: number; acquiredAt: number }>> {
  const rows = await pg.query(
    url,
    'select c.name, l.holder, l.epoch, l.acquired_at from cluster_leases l join clusters c on c.id = l.cluster_id',
  );
  return new Map(
    rows.map((r) => [
      String(r.name),
      {
        holder: r.holder as string | null,
        epoch: Number(r.epoch),
        acquiredAt: Date.parse(String(r.acquired_at)),
      },
    ]),
  );
}

/** Per cluster, the intervals each replica said it drove it; a killed replica's open ones end at the kill. */
function runnerIntervals(
  all: readonly Replica[],
): Map<string, { replica: string; from: number; to: number }[]> {
  const out = new Map<string, { replica: string; from: number; to: number }[]>();
  for (const replica of all) {
    const open = new Map<string, number>();
    for (const line of replica.lines) {
      const started = /driving cluster (\S+) \(lease epoch/.exec(line.text);
      if (started?.[1] !== undefined) open.set(started[1], line.at);
      const stopped = /cluster (\S+): runner stopped/.exec(line.text);
      const from = stopped?.[1] === undefined ? undefined : open.get(stopped[1]);
      if (stopped?.[1] !== undefined && from !== undefined) {
        out.set(stopped[1], [...(out.get(stopped[1]) ?? []), { replica: replica.id, from, to: line.at }]);
        open.delete(stopped[1]);
      }
    }
    for (const [cluster, from] of open) {
      out.set(cluster, [
        ...(out.get(cluster) ?? []),
        { replica: replica.id, from, to: replica.killedAt ?? Number.POSITIVE_INFINITY },
      ]);
    }
  }
  return out;
}

function expectNoOverlap(all: readonly Replica[]): void {
  for (const [cluster, intervals] of runnerIntervals(all)) {
    const sorted = [...intervals].sort((a, b) => a.from - b.from);
    sorted.slice(1).forEach((interval, i) => {
      const before = sorted[i];
      expect(interval.from, `${cluster}: ${JSON.stringify(sorted)}`).toBeGreaterThanOrEqual(before?.to ?? 0);
    });
  }
}

/** Per cluster, the lease epochs of its events in id order never go down. */
async function expectEpochsNeverDecrease(url: string): Promise<void> {
  const rows = await pg.query(
    url,
    'select cluster, lease_epoch from events where lease_epoch is not null order by id',
  );
  const last = new Map<string, number>();
  for (const row of rows) {
    const cluster = String(row.cluster);
    const epoch = Number(row.lease_epoch);
    expect(
      epoch,
      `cluster ${cluster}: a write under epoch ${String(epoch)} after one under ${String(last.get(cluster))}`,
    ).toBeGreaterThanOrEqual(last.get(cluster) ?? 0);
    last.set(cluster, epoch);
  }
}

interface AuditedWrite {
  readonly replica: string;
  readonly object: string;
  readonly received: number;
  readonly answered: number;
}

/** The writes hub replicas made to a control plane since `since`, as its API server's audit log has them. */
function replicaWrites(plane: ControlPlaneState, since: number): AuditedWrite[] {
  const lines = readFileSync(plane.auditLog as string, 'utf8').split('\n');
  const writes: AuditedWrite[] = [];
  for (const line of lines) {
    if (line === '') continue;
    const entry = JSON.parse(line) as {
      stage: string;
      userAgent?: string;
      verb: string;
      objectRef?: { apiGroup?: string; resource?: string; namespace?: string; name?: string };
      requestReceivedTimestamp: string;
      stageTimestamp: string;
    };
    const replica = /^strata replica\/(\S+)$/.exec(entry.userAgent ?? '')?.[1];
    const received = Date.parse(entry.requestReceivedTimestamp);
    if (entry.stage !== 'ResponseComplete' || replica === undefined || received < since) continue;
    const ref = entry.objectRef ?? {};
    writes.push({
      replica,
      object: `${entry.verb} ${ref.apiGroup ?? ''}/${ref.resource ?? ''} ${ref.namespace ?? ''}/${ref.name ?? ''}`,
      received,
      answered: Date.parse(entry.stageTimestamp),
    });
  }
  return writes.sort((a, b) => a.received - b.received);
}

/**
 * From the API server's own record: the replicas' writes to the cluster, in the order it received them, fall
 * into runs by one replica each; a run ends (its last write answered) before the next replica's first write
 * is received, and there are no more runs than lease terms (epochs): the writer changed only where the lease did.
 */
function expectOneWriterAtATime(cluster: string, since: number, epochs: number): AuditedWrite[] {
  const writes = replicaWrites(planes.get(cluster) as ControlPlaneState, since);
  const runs: AuditedWrite[][] = [];
  for (const write of writes) {
    const run = runs.at(-1);
    if (run?.[0]?.replica === write.replica) run.push(write);
    else runs.push([write]);
  }
  const describe = () => runs.map((r) => `${r[0]?.replica ?? ''}: ${String(r.length)} writes`).join(', ');
  runs.slice(1).forEach((run, i) => {
    const lastAnswered = Math.max(...(runs[i] ?? []).map((w) => w.answered));
    expect(
      run[0]?.received,
      `${cluster}: two replicas writing at once: ${describe()}`,
    ).toBeGreaterThanOrEqual(lastAnswered);
  });
  expect(
    runs.length,
    `${cluster}: the writer changed more often than the lease: ${describe()}`,
  ).toBeLessThanOrEqual(epochs);
  return writes;
}

async function expectHistoriesChained(api: ReturnType<typeof client>, cluster: string, page: Page) {
  for (const pack of page.packs) {
    const where = `${cluster}/${pack.name}`;
    // The page is the runner's live status; its last transition is stored a moment later.
    const history = await pollUntil(
      `${where}: the stored history to reach ${pack.phase}`,
      async () => {
        const h = (
          await api<{ transitions: Transition[] }>('GET', `/clusters/${cluster}/packs/${pack.name}/history`)
        ).transitions;
        return h.at(-1)?.to === pack.phase ? h : undefined;
      },
      30_000,
    );
    expect(history[0]?.from, where).toBe('onboarding');
    history.slice(1).forEach((t, i) => {
      expect(t.from, `${where}: ${JSON.stringify(history)}`).toBe(history[i]?.to);
    });
    const keys = history.map((t) => `${t.time} ${t.from}→${t.to}`);
    expect(new Set(keys).size, `${where}: a transition stored twice`).toBe(keys.length);
    expect(history.at(-1)?.to, where).toBe(pack.phase);
  }
}

async function importProfiles(api: ReturnType<typeof client>) {
  for (const file of ['monitoring.yaml', 'platform-tools.yaml']) {
    const upload = await profileUpload(join(root, 'examples', file));
    if (upload.bundle === undefined) await api('POST', '/profiles', { yaml: upload.yaml, file });
    else await api('POST', `/profiles?file=${file}`, upload.bundle);
  }
}

const VALUES = { monitoring: { adminPassword: 'correct-horse-battery' }, 'platform-tools': {} };
const PACK_COUNT = 5;
const isGreen = (page: Page) =>
  page.packs.length === PACK_COUNT && page.packs.every((p) => p.phase === 'success');

beforeAll(async () => {
  await pg.setup();
  await Promise.all(CPS.map((name) => down({ name })));
  for (const name of CPS) planes.set(name, await up({ name, nodes: 1, audit: true }));
}, 300_000);

afterAll(async () => {
  for (const replica of replicas) {
    // A paused one first resumes, so SIGKILL ends it.
    replica.child.kill('SIGCONT');
    await kill(replica);
  }
  await Promise.all(CPS.map((name) => down({ name })));
  await pg.teardown();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('hub replicas on one PostgreSQL', () => {
  it('drive each cluster from one replica, take a killed one’s clusters over within 15 s, and stream every event once, in order', async () => {
    const url = await pg.freshUrl();
    const since = Date.now();
    const first = await startReplica(url);
    const token = readFileSync(join(first.dataDir, 'admin-token'), 'utf8').trim();
    const all = [first, ...(await Promise.all([startReplica(url), startReplica(url)]))];
    const apis = all.map((r) => client(r, token));
    // Profiles published through the second replica: the first one's stream hears of each, live, once.
    const published = await SseClient.open(first.url, { token });
    await importProfiles(apis[1] as ReturnType<typeof client>);
    const profileNames = ['monitoring', 'platform-tools'];
    const publishedOn = (messages: readonly SseMessage[]) =>
      messages
        .filter((m) => m.event === 'profile.published')
        .map((m) => (m.data.data as { name: string }).name)
        .sort();
    await published.until(
      (m) => publishedOn(m).length >= profileNames.length,
      30_000,
      'profile.published from another replica',
    );
    for (const [i, name] of CPS.entries()) {
      const kubeconfig = readFileSync((planes.get(name) as ControlPlaneState).kubeconfig, 'utf8');
      await (apis[i % apis.length] as ReturnType<typeof client>)('POST', '/clusters', { name, kubeconfig });
    }
    await published.close();
    expect(publishedOn(published.messages)).toEqual(profileNames);

    // Without a token, /readyz says only that the replica is ready: no cluster names, no replica addresses.
    const anonymous = await fetch(`${(all[0] as Replica).url}/readyz`);
    expect(await anonymous.json()).toEqual({ status: 'ok' });

    // Every replica says the same: each cluster has a driver among the three.
    const ids = new Set(all.map((r) => r.id));
    const drivers = await pollUntil(
      'every cluster driven, the same on every replica',
      async () => {
        const views = await Promise.all(apis.map((api) => api<Readiness>('GET', '/readyz')));
        const seen = views.map((v) =>
          JSON.stringify(
            v.replica.clusters
              .map((c) => [c.cluster, c.driver])
              .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
          ),
        );
        const clusters = views[0]?.replica.clusters ?? [];
        const complete =
          clusters.length === CPS.length &&
          clusters.every((c) => c.driver !== undefined && ids.has(c.driver));
        return complete && new Set(seen).size === 1
          ? new Map(clusters.map((c) => [c.cluster, c.driver]))
          : undefined;
      },
      30_000,
    );
    const load = (r: Replica) => [...drivers.values()].filter((d) => d === r.id).length;
    const victim = [...all].sort((a, b) => load(b) - load(a))[0] as Replica;
    const survivors = all.filter((r) => r !== victim);
    const watcher = survivors[0] as Replica;
    const api = client(watcher, token);
    const lost = CPS.filter((name) => drivers.get(name) === victim.id);
    expect(lost.length).toBeGreaterThan(0);

    const startId = Number((await pg.query(url, 'select coalesce(max(id), 0) as id from events'))[0]?.id);
    const events = await SseClient.open(watcher.url, { token, lastEventId: startId });
    // Attached through the watcher: the routes of clusters it does not drive are passed to their driver.
    for (const name of CPS) {
      for (const profile of ['monitoring', 'platform-tools'] as const) {
        await api('POST', `/clusters/${name}/attachments`, { profile, values: VALUES[profile] });
      }
    }
    // Attachment views, made by each cluster's driver (the attach was passed to it), reach the watcher's stream
    // live (before the kill: a killed replica's last view may not have left it); before they were relayed,
    // only those of the clusters the watcher drove did.
    const attachedViews = (messages: readonly SseMessage[]) =>
      messages
        .filter((m) => m.event === 'attachment.changed')
        .map((m) => `${String(m.data.cluster)}/${(m.data.data as { profile: string }).profile}`)
        .sort();
    const everyAttachment = CPS.flatMap((name) => profileNames.map((p) => `${name}/${p}`)).sort();
    await events.until(
      (messages) =>
        messages.filter((m) => m.event === 'pack.status' && lost.includes(m.data.cluster as never)).length >=
          3 && attachedViews(messages).length >= everyAttachment.length,
      120_000,
      `pack events of ${lost.join(', ')} and every attachment view`,
    );
    // Relayed at most once (replica-relay.ts): a view the victim made must have reached the watcher before it
    // dies, or its broadcast, still queued, dies with it.
    await events.until(
      (messages) =>
        messages.filter((m) => m.event === 'attachment.changed').length >= CPS.length * profileNames.length,
      60_000,
      'every attachment view',
    );
    await kill(victim);
    const killedAt = victim.killedAt as number;

    // Taken over within 15 s by the store's clock (acquired_at), by a survivor.
    const taken = await pollUntil(
      `${lost.join(', ')} taken over`,
      async () => {
        const now = await leases(url);
        const moved = lost.map((name) => now.get(name));
        return moved.every((l) => l?.holder !== undefined && l.holder !== null && l.holder !== victim.id)
          ? moved
          : undefined;
      },
      30_000,
    );
    for (const lease of taken) {
      expect(survivors.map((r) => r.id)).toContain(lease?.holder);
      expect((lease?.acquiredAt ?? 0) - killedAt).toBeLessThanOrEqual(15_000);
    }

    // Everything ends green; the page is read through the watcher (passed on to each driver).
    for (const name of CPS) {
      const page = await pollUntil(
        `${name} green`,
        async () => {
          const p = await api<Page>('GET', `/clusters/${name}/page`);
          return isGreen(p) ? p : undefined;
        },
        300_000,
      );
      expect(survivors.map((r) => r.id)).toContain(page.cluster.driver);
      await expectHistoriesChained(api, name, page);
    }

    // Each attachment view once.
    expect(attachedViews(events.messages)).toEqual(everyAttachment);

    // Drift seen by a cluster's driver reaches, live, the stream of a survivor that does not drive it (the
    // watcher may drive every cluster now: then the other survivor listens and is asked).
    const afar = CPS[0];
    const afarDriver = await pollUntil(
      `${afar} driven by a survivor`,
      async () => {
        const now = await api<Readiness>('GET', '/readyz');
        const driver = now.replica.clusters.find((c) => c.cluster === afar)?.driver;
        return survivors.some((r) => r.id === driver) ? driver : undefined;
      },
      30_000,
    );
    const listener = survivors.find((r) => r.id !== afarDriver) as Replica;
    const far = await SseClient.open(listener.url, { token });
    const kc = new KubeConfig();
    kc.loadFromFile((planes.get(afar) as ControlPlaneState).kubeconfig);
    const drifted = (m: SseMessage) => m.event === 'pack.drift' && m.data.cluster === afar;
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespacedLimitRange({ name: 'tenant-a-defaults', namespace: 'tenant-a' });
    await far.until((m) => m.some(drifted), 60_000, `pack.drift of ${afar} from its driver`);

    // The health rules tried on a live object of a cluster, through a replica that does not drive it.
    const asked = client(listener, token);
    const verdict = await asked<{ state: string }>('POST', '/health-rules/test', {
      live: {
        cluster: afar,
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        namespace: 'tenant-a',
        name: 'tenant-a',
      },
    });
    expect(verdict.state).toBe('Ready');
    await expect(
      asked('POST', '/health-rules/test', {
        live: { cluster: afar, apiVersion: 'v1', kind: 'Secret', namespace: 'tenant-a', name: 'any' },
      }),
    ).rejects.toThrow(/400.*a Secret is never read/);
    await far.close();
    // The drift was relayed once (a correction may drift again: each time once, never the same one twice).
    const drifts = far.messages.filter(drifted).map((m) => JSON.stringify(m.data));
    expect(new Set(drifts).size).toBe(drifts.length);

    // The UI of the watcher says which replica drives each cluster, on the overview and on a cluster page.
    const finalDrivers = new Map(
      (await api<Readiness>('GET', '/readyz')).replica.clusters.map((c) => [c.cluster, c.driver]),
    );
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${watcher.url}/`);
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      for (const name of CPS) {
        await page
          .locator(`tr[data-cluster="${name}"] .cluster-driver`, {
            hasText: `driven by replica ${String(finalDrivers.get(name))}`,
          })
          .waitFor({ timeout: 30_000 });
      }
      const elsewhere = CPS.find((name) => finalDrivers.get(name) !== watcher.id) ?? CPS[0];
      await page.goto(`${watcher.url}/#/clusters/${elsewhere}`);
      await page
        .locator('.cluster-meta .cluster-driver', {
          hasText: `driven by replica ${String(finalDrivers.get(elsewhere))}`,
        })
        .waitFor({ timeout: 30_000 });
    } finally {
      await browser.close();
    }

    // The stream: exactly the events table after startId, once each, in order.
    const stored = async () =>
      (await pg.query(url, `select id from events where id > ${String(startId)} order by id`)).map((r) =>
        Number(r.id),
      );
    const last = (await stored()).at(-1) ?? startId;
    await events.until(() => (events.ids.at(-1) ?? 0) >= last, 30_000, `event ${String(last)}`);
    await events.close();
    const streamed = events.ids.filter((id) => id <= last);
    expect(streamed).toEqual((await stored()).filter((id) => id <= last));
    const persisted = (m: SseMessage) => m.id !== undefined;
    expect(events.messages.filter(persisted).length).toBe(new Set(events.ids).size);

    expectNoOverlap(all);
    await expectEpochsNeverDecrease(url);
    const terms = await leases(url);
    for (const name of CPS) {
      const writes = expectOneWriterAtATime(name, since, terms.get(name)?.epoch ?? 0);
      // Every cluster was written to (the audit log is read, not empty), the lost ones by their new driver too.
      expect(writes.length, name).toBeGreaterThan(0);
      if (lost.includes(name)) expect(writes.at(-1)?.replica).not.toBe(victim.id);
    }
    for (const replica of all) {
      expect(replica.lines.map((l) => l.text).join('\n')).not.toMatch(/\n\s+at \S+ \(/); // no stack trace
      // No relayed event lost on the way: none unsent, unreadable, or missed while a listener was down.
      expect(replica.lines.map((l) => l.text).join('\n')).not.toMatch(
        /not sent to the other replicas|relayed event that is not one|may be missed/,
      );
    }
  }, 600_000);

  it('serves an agent on any replica: its requests are passed to the replica driving its cluster', async () => {
    for (const replica of [...replicas]) await kill(replica);
    const url = await pg.freshUrl();
    const first = await startReplica(url);
    const token = readFileSync(join(first.dataDir, 'admin-token'), 'utf8').trim();
    const pair = [first, await startReplica(url)];
    const registered = await client(first, token)<{ token: string }>('POST', '/agent-clusters', {
      name: 'edge',
    });
    // Before the agent routes were forwarded, the replica not driving "edge" answered 404 to its agent.
    for (const replica of pair) {
      const desired = await client(replica, registered.token)<{ packs: unknown[] }>('GET', '/agent/desired');
      expect(desired.packs).toEqual([]);
    }
    const drivers = await pollUntil(
      'a driver for the agent cluster',
      async () => {
        const owner = (await leases(url)).get('edge')?.holder;
        return owner === null || owner === undefined ? undefined : owner;
      },
      30_000,
    );
    expect(pair.map((r) => r.id)).toContain(drivers);
  }, 180_000);

  it('a replica paused past its lease and resumed applies nothing more: it stops, and its late writes are refused', async () => {
    for (const replica of [...replicas]) await kill(replica);
    const url = await pg.freshUrl();
    const since = Date.now();
    const first = await startReplica(url);
    const token = readFileSync(join(first.dataDir, 'admin-token'), 'utf8').trim();
    const second = await startReplica(url);
    const pair = [first, second];
    await importProfiles(client(first, token));
    const name = 'replicas-b';
    const kubeconfig = readFileSync((planes.get(name) as ControlPlaneState).kubeconfig, 'utf8');
    // Installed already by the first test's hubs: detached there? No: a fresh database adopts them, so the
    // packs run again (server-side apply of unchanged objects) and report as they go.
    await client(first, token)('POST', '/clusters', { name, kubeconfig });
    const holder = await pollUntil(
      `${name} driven`,
      async () => (await leases(url)).get(name)?.holder ?? undefined,
      30_000,
    );
    const paused = pair.find((r) => r.id === holder) as Replica;
    const other = pair.find((r) => r !== paused) as Replica;
    const startId = Number((await pg.query(url, 'select coalesce(max(id), 0) as id from events'))[0]?.id);
    const events = await SseClient.open(other.url, { token, lastEventId: startId });
    await client(other, token)('POST', `/clusters/${name}/attachments`, {
      profile: 'monitoring',
      values: VALUES.monitoring,
    });
    await events.until((m) => m.filter((x) => x.event === 'pack.status').length >= 2, 120_000, 'pack events');

    paused.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    const takeover = await pollUntil(
      `${name} taken over from the paused replica`,
      async () => {
        const lease = (await leases(url)).get(name);
        return lease?.holder === other.id ? lease : undefined;
      },
      30_000,
    );
    expect(takeover.acquiredAt - pausedAt).toBeLessThanOrEqual(15_000);
    // The successor writes under its epoch before the paused one wakes up.
    await pollUntil(
      'a write under the new epoch',
      async () =>
        (await pg.query(url, `select 1 from events where lease_epoch = ${String(takeover.epoch)} limit 1`))
          .length > 0
          ? true
          : undefined,
      60_000,
    );
    paused.child.kill('SIGCONT');
    await pollUntil(
      'the resumed replica to stop its runner',
      () =>
        Promise.resolve(
          paused.lines.some((l) => l.at >= pausedAt && /cluster replicas-b: runner stopped/.test(l.text))
            ? true
            : undefined,
        ),
      30_000,
    );

    const page = await pollUntil(
      `${name} green`,
      async () => {
        const p = await client(other, token)<Page>('GET', `/clusters/${name}/page`);
        return p.packs.length === 3 && p.packs.every((x) => x.phase === 'success') ? p : undefined;
      },
      300_000,
    );
    await expectHistoriesChained(client(other, token), name, page);
    await expectEpochsNeverDecrease(url);
    // The API server's record: the paused replica wrote nothing while its successor held the lease. (Once both
    // are live again the hashing may hand the cluster back to it, under a later epoch: that is allowed.)
    const final = (await leases(url)).get(name);
    const writes = expectOneWriterAtATime(name, since, final?.epoch ?? 0);
    const successor = writes.filter((w) => w.replica === other.id && w.received >= takeover.acquiredAt);
    expect(successor.length).toBeGreaterThan(0);
    const successorDone = Math.max(...successor.map((w) => w.answered));
    const late = writes.filter((w) => w.replica === paused.id && w.received >= takeover.acquiredAt);
    expect(late.filter((w) => w.received <= successorDone)).toEqual([]);
    if (late.length > 0) expect(final?.epoch).toBeGreaterThan(takeover.epoch);
    // Whatever the paused replica still tried to store after its successor took over was refused by the epoch.
    const refused = paused.lines.filter((l) => l.at >= pausedAt && /LEASE_LOST|write refused/.test(l.text));
    for (const line of refused) expect(line.text).toContain(`cluster ${name}`);
    await events.close();
  }, 600_000);
});
