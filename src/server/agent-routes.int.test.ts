// The agent routes over HTTP on both backends (issue 16): an agent token is refused by every other route of the
// table, reads only its own cluster's desired state, and its pushed batches are stored once, in order, through
// the same status writer as a local runner's events. The agent process itself is in src/agent/agent.int.test.ts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type TestBackend } from '../store/testing/backends.js';
import { advance, packStatus } from '../store/testing/fixtures.js';
import type { PackStatus } from '../status/index.js';
import { PROBLEM_CONTENT_TYPE, type Problem } from './problem.js';
import { Backend } from '../store/url.js';
import { Role } from './route.js';
import { routeTable } from './routes/index.js';
import { startTestHub, type TestHub } from './testing/server.js';

/** Makes the database itself refuse (or accept again) every insert and update of a pack status. */
async function refuseStatusWrites(backend: TestBackend, url: string, refuse: boolean): Promise<void> {
  const sqlite = backend.name === Backend.Sqlite;
  const statements = refuse
    ? sqlite
      ? ['INSERT', 'UPDATE'].map(
          (op) =>
            `CREATE TRIGGER refuse_${op.toLowerCase()} BEFORE ${op} ON pack_status ` +
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        )
      : [
          'CREATE FUNCTION refuse_status() RETURNS trigger AS $$ BEGIN ' +
            "RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql",
          'CREATE TRIGGER refuse_status BEFORE INSERT OR UPDATE ON pack_status ' +
            'FOR EACH ROW EXECUTE FUNCTION refuse_status()',
        ]
    : sqlite
      ? ['DROP TRIGGER refuse_insert', 'DROP TRIGGER refuse_update']
      : ['DROP TRIGGER refuse_status ON pack_status', 'DROP FUNCTION refuse_status()'];
  for (const statement of statements) await backend.query(url, statement);
}

const fill = (path: string) => path.replace(/\{\w+\}/g, 'nope');

const PROFILE = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata: { name: web }',
  'spec:',
  '  version: 1.0.0',
  '  type: add-on',
  '  packs:',
  '    - name: site',
  '      layer: addon',
  '      version: 1.0.0',
  '      type: manifest',
  '      manifests:',
  '        - { apiVersion: v1, kind: ConfigMap, metadata: { name: site, namespace: default }, data: { a: "1" } }',
  '',
].join('\n');

describe.each(backends())('agent routes on $name', (backend) => {
  let t: TestHub;
  let token: string;
  let otherToken: string;
  const as = (bearer: string) => ({ role: 'none' as const, headers: { authorization: `Bearer ${bearer}` } });

  beforeAll(async () => {
    await backend.setup();
    t = await startTestHub(backend);
    const made = await t.api('POST', '/api/v1/agent-clusters', { body: { name: 'edge' } });
    expect(made.status, made.text).toBe(201);
    ({ token } = made.json as { token: string });
    const other = await t.api('POST', '/api/v1/agent-clusters', { body: { name: 'other' } });
    ({ token: otherToken } = other.json as { token: string });
    expect((await t.api('POST', '/api/v1/profiles', { body: { yaml: PROFILE } })).status).toBe(201);
    const attached = await t.api('POST', '/api/v1/clusters/edge/attachments', { body: { profile: 'web' } });
    expect(attached.status, attached.text).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    await backend.teardown();
  });

  it('registers the cluster without credentials and shows it as an agent cluster', async () => {
    const got = await t.api('GET', '/api/v1/clusters/edge');
    expect(got.json).toMatchObject({ name: 'edge', server: '', agent: { connected: false } });
    expect(token).toMatch(/^strata_agent_/);
    expect(await t.store.clusters.getCredentials('edge')).toEqual({ kubeconfig: '' });
  });

  describe('an agent token on every route of the table', () => {
    for (const route of routeTable) {
      // A route that checks its caller itself (/metrics) requires that role: this hub runs without --metrics-public.
      const required = route.checksCaller ?? route.role;
      const expectation =
        required === Role.Public || required === Role.Agent ? 'not refused' : '403 FORBIDDEN';
      it(`${route.method} ${route.path}: ${expectation}`, async () => {
        const controller = new AbortController();
        const hasBody = route.kind === 'json' && route.body !== undefined;
        const res = await fetch(t.url + fill(route.path), {
          method: route.method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          signal: controller.signal,
          ...(hasBody ? { body: '{}' } : {}),
        });
        const text = route.kind === 'stream' && res.status === 200 ? '' : await res.text();
        controller.abort();
        if (expectation === 'not refused') {
          expect(res.status, text).not.toBe(401);
          expect(res.status, text).not.toBe(403);
          expect(res.status, text).toBeLessThan(500);
        } else {
          expect(res.status, text).toBe(403);
          expect(res.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
          const problem = JSON.parse(text) as Problem;
          expect(problem.code).toBe('FORBIDDEN');
          expect(problem.requiredRole).toBe(required);
          expect(problem.detail).toContain('agent token');
        }
      });
    }
  });

  it("reads only its own cluster's desired state, and an idle poll is a 304", async () => {
    const first = await fetch(`${t.url}/api/v1/agent/desired`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(first.status).toBe(200);
    const desired = (await first.json()) as { cluster: string; packs: { pack: { name: string } }[] };
    expect(desired.cluster).toBe('edge');
    expect(desired.packs.map((p) => p.pack.name)).toEqual(['site']);
    const etag = first.headers.get('etag') ?? '';
    const again = await fetch(`${t.url}/api/v1/agent/desired`, {
      headers: { authorization: `Bearer ${token}`, 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    const other = await t.api('GET', '/api/v1/agent/desired', as(otherToken));
    expect(other.json).toMatchObject({ cluster: 'other', packs: [] });
    // The poll was a heartbeat: the page says the agent is connected.
    expect((await t.api('GET', '/api/v1/clusters/edge')).json).toMatchObject({ agent: { connected: true } });
    expect((await t.api('GET', '/api/v1/clusters/other')).json).toMatchObject({ agent: { connected: true } });
    const unknownChart = await t.api('GET', `/api/v1/agent/charts/${'0'.repeat(64)}`, as(token));
    expect(unknownChart.status).toBe(404);
  });

  it('stores a batch once, in order, and refuses a gap naming where to resend from', async () => {
    const stream = randomUUID();
    const s1 = advance(packStatus('onboarding'), 'processing', '2026-01-01T00:00:01.000Z');
    const s2 = advance(s1, 'success', '2026-01-01T00:00:02.000Z');
    const event = (status: PackStatus) => ({
      type: 'PackStatusChanged',
      pack: 'site',
      profile: 'web',
      status,
    });
    const batch = {
      stream,
      events: [
        { seq: 1, event: event(s1) },
        { seq: 2, event: event(s2) },
      ],
    };
    const pushed = await t.api('POST', '/api/v1/agent/events', { ...as(token), body: batch });
    expect(pushed.status, pushed.text).toBe(200);
    expect(pushed.json).toEqual({ acked: 2 });
    // The answer was lost: the agent sends the same batch again, with one more event.
    const s3 = advance(s2, 'processing', '2026-01-01T00:00:03.000Z');
    const replay = { stream, events: [...batch.events, { seq: 3, event: event(s3) }] };
    expect((await t.api('POST', '/api/v1/agent/events', { ...as(token), body: replay })).json).toEqual({
      acked: 3,
    });
    expect((await t.api('POST', '/api/v1/agent/events', { ...as(token), body: replay })).json).toEqual({
      acked: 3,
    });
    const history = await t.api('GET', '/api/v1/clusters/edge/packs/site/history');
    expect(history.status, history.text).toBe(200);
    expect((history.json as { transitions: { to: string }[] }).transitions.map((h) => h.to)).toEqual([
      'processing',
      'success',
      'processing',
    ]);
    const gap = await t.api('POST', '/api/v1/agent/events', {
      ...as(token),
      body: {
        stream,
        events: [{ seq: 5, event: event(advance(s3, 'success', '2026-01-01T00:00:05.000Z')) }],
      },
    });
    expect(gap.status).toBe(409);
    expect((gap.json as Problem).code).toBe('AGENT_SEQUENCE_GAP');
    expect((gap.json as Problem).detail).toContain('from event 4');
    // What the hub stored is what an agent starting afresh reads back.
    const statuses = await t.api('GET', '/api/v1/agent/statuses', as(token));
    expect(statuses.json).toMatchObject({
      stream,
      acked: 3,
      packs: [{ pack: 'site', status: { phase: 'processing' } }],
    });
    // Nothing of it reached the other agent cluster.
    expect((await t.api('GET', '/api/v1/agent/statuses', as(otherToken))).json).toMatchObject({
      acked: 0,
      packs: [],
    });
  });

  it('acks a batch only once it is stored: a failed write is a 503 and the batch sent again is taken once', async () => {
    const stored = (await t.api('GET', '/api/v1/agent/statuses', as(token))).json as {
      packs: { pack: string; status: PackStatus }[];
    };
    const from = stored.packs.find((p) => p.pack === 'site')?.status ?? packStatus('onboarding');
    const before = from.transitions.length;
    const s1 = advance(from, 'success', '2026-01-02T00:00:01.000Z');
    const s2 = advance(s1, 'processing', '2026-01-02T00:00:02.000Z');
    const batch = {
      stream: randomUUID(),
      events: [s1, s2].map((status, i) => ({
        seq: i + 1,
        event: { type: 'PackStatusChanged', pack: 'site', profile: 'web', status },
      })),
    };
    // A real failure of the database write, not a mock: the table refuses every change of a pack status.
    await refuseStatusWrites(backend, t.opened.url, true);
    try {
      const refused = await fetch(`${t.url}/api/v1/agent/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(batch),
      });
      const problem = (await refused.json()) as Problem;
      expect(refused.status, problem.detail).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('2');
      expect(problem.code).toBe('AGENT_BATCH_NOT_STORED');
      expect(problem.detail).toContain('cluster "edge"');
    } finally {
      await refuseStatusWrites(backend, t.opened.url, false);
    }
    // Nothing was acked: the stream is where it was, and the agent sends the same batch again.
    expect((await t.api('GET', '/api/v1/agent/statuses', as(token))).json).not.toMatchObject({
      stream: batch.stream,
    });
    const again = await t.api('POST', '/api/v1/agent/events', { ...as(token), body: batch });
    expect(again.status, again.text).toBe(200);
    expect(again.json).toEqual({ acked: 2 });
    const history = (
      (await t.api('GET', '/api/v1/clusters/edge/packs/site/history')).json as {
        transitions: { to: string }[];
      }
    ).transitions;
    expect(history.slice(before).map((h) => h.to)).toEqual(['success', 'processing']);
    expect(history).toHaveLength(before + 2);
  });

  it('refuses a hostile batch with a clear 4xx and stores nothing of it: huge, deep, out of order, not its packs', async () => {
    const statusesNow = async () => (await t.api('GET', '/api/v1/agent/statuses', as(token))).json;
    const historyNow = async () => (await t.api('GET', '/api/v1/clusters/edge/packs/site/history')).json;
    const before = { statuses: await statusesNow(), history: await historyNow() };
    const from =
      (before.statuses as { packs: { pack: string; status: PackStatus }[] }).packs.find(
        (p) => p.pack === 'site',
      )?.status ?? packStatus('onboarding');
    const next = advance(
      from,
      from.phase === 'success' ? 'processing' : 'success',
      '2026-01-03T00:00:01.000Z',
    );
    const push = (events: unknown[], stream = randomUUID()) =>
      t.api('POST', '/api/v1/agent/events', {
        ...as(token),
        body: { stream, events: events.map((event, i) => ({ seq: i + 1, event })) },
      });
    const site = (status: unknown) => ({ type: 'PackStatusChanged', pack: 'site', profile: 'web', status });

    // Deep: 40 levels of nesting (the request parser refuses past 64) inside a resource of an otherwise valid status.
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { deeper: deep };
    const deepRes = await push([
      site({
        ...next,
        resources: [
          { ref: next.resources[0]?.ref ?? { apiVersion: 'v1', kind: 'ConfigMap', name: 'site' }, deep },
        ],
      }),
    ]);
    expect(deepRes.status, deepRes.text).toBe(400);
    expect((deepRes.json as Problem).detail).toMatch(/events\.0\.event.*nests deeper than 16 levels/);
    // Huge: a message of 1.5 MiB (under the request limit, over an event's).
    const huge = await push([site({ ...next, message: 'm'.repeat(1536 * 1024) })]);
    expect(huge.status, huge.text).toBe(400);
    expect((huge.json as Problem).detail).toMatch(
      /events\.0\.event.*bytes as JSON, over the 1048576 allowed/,
    );
    // Over the request limit altogether.
    const tooBig = await push([site({ ...next, message: 'm'.repeat(3 * 1024 * 1024) })]);
    expect(tooBig.status).toBe(413);
    // Out of order: the first event is fine, the second skips one; neither is stored.
    const gap = await t.api('POST', '/api/v1/agent/events', {
      ...as(token),
      body: {
        stream: randomUUID(),
        events: [
          { seq: 1, event: site(next) },
          { seq: 3, event: site(advance(next, 'failed', '2026-01-03T00:00:02.000Z')) },
        ],
      },
    });
    expect(gap.status).toBe(409);
    expect((gap.json as Problem).detail).toContain('send again from event 1');
    expect({ statuses: await statusesNow(), history: await historyNow() }).toEqual(before);

    // Packs its cluster never had: taken (an honest agent must not be stuck on them) and stored nowhere.
    const stream = randomUUID();
    const intruder = await push(
      [{ type: 'PackStatusChanged', pack: 'intruder', profile: 'web', status: packStatus('failed') }],
      stream,
    );
    expect(intruder.status, intruder.text).toBe(200);
    const page = (await t.api('GET', '/api/v1/clusters/edge/page')).json as { packs: { name: string }[] };
    expect(page.packs.map((p) => p.name)).not.toContain('intruder');
    expect(((await statusesNow()) as { packs: { pack: string }[] }).packs.map((p) => p.pack)).toEqual([
      'site',
    ]);
  });

  it('keeps drift reports short and writes at most 60 audit records a minute per cluster, however many come', async () => {
    const stream = randomUUID();
    const drift = (seq: number) => ({
      seq,
      event: {
        type: 'DriftDetected',
        pack: 'site',
        ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'site' },
        message: `drift ${String(seq)} ${'y'.repeat(100_000)}`,
        correcting: false,
        time: new Date().toISOString(),
      },
    });
    const before = await t.store.audit.list({ target: 'cluster/edge/pack/site', limit: 1000 });
    for (let first = 1; first <= 80; first += 10) {
      const events = Array.from({ length: 10 }, (_, i) => drift(first + i));
      const pushed = await t.api('POST', '/api/v1/agent/events', { ...as(token), body: { stream, events } });
      expect(pushed.status, pushed.text.slice(0, 300)).toBe(200);
    }
    await t.hub.flush();
    await expect
      .poll(
        async () =>
          (await t.store.audit.list({ target: 'cluster/edge/pack/site', limit: 1000 })).length -
          before.length,
        { timeout: 10_000 },
      )
      .toBe(60);
    const newest = (await t.store.audit.list({ target: 'cluster/edge/pack/site', limit: 1 }))[0];
    const shown = (newest?.details as { message: string }).message;
    expect(shown.length).toBe(1024);
    expect(shown).toMatch(/y…\[\d+ more characters cut by the hub\]$/u);
    const page = await t.api('GET', '/api/v1/clusters/edge/page');
    const site = (page.json as { packs: { name: string; lastDrift?: { message: string } }[] }).packs.find(
      (p) => p.name === 'site',
    );
    // Cut as every cluster text is (shared/kept-text.ts), the marker counting what the agent sent.
    expect(site?.lastDrift?.message).toMatch(/^drift 80 y+…\[\d+ more characters cut by the hub\]$/);
    expect(site?.lastDrift?.message.length).toBe(1024);
  });

  it('a new agent token replaces the old one at once; a direct cluster has none', async () => {
    const rotated = await t.api('POST', '/api/v1/agent-clusters/other/token');
    expect(rotated.status, rotated.text).toBe(201);
    const { token: fresh } = rotated.json as { token: string };
    expect((await t.api('GET', '/api/v1/agent/desired', as(otherToken))).status).toBe(401);
    expect((await t.api('GET', '/api/v1/agent/desired', as(fresh))).json).toMatchObject({ cluster: 'other' });
    otherToken = fresh;
    expect((await t.api('POST', '/api/v1/agent-clusters/nope/token')).status).toBe(404);
  });

  it('refuses a batch that is not a list of runner events, naming the field', async () => {
    const bad = await t.api('POST', '/api/v1/agent/events', {
      ...as(token),
      body: {
        stream: randomUUID(),
        events: [
          {
            seq: 1,
            event: { type: 'PackStatusChanged', pack: 'site', profile: 'web', status: { phase: 'blue' } },
          },
        ],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('events');
  });
});
