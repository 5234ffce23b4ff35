// The health-rule routes over HTTP (issue 14): roles, the positioned 422, versions, and trying a rule on an
// object from a file. A real listening hub on SQLite with no cluster: no control plane.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { startTestHub, type TestHub } from './testing/server.js';

const backend = new SqliteBackend();
let t: TestHub;

beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend);
});

afterAll(async () => {
  await t.close();
  await backend.teardown();
});

const rules = (failed: string) =>
  [
    'apiVersion: strata.dev/v1alpha1',
    'kind: HealthRules',
    'spec:',
    '  healthChecks:',
    '    - apiVersion: example.com/v1',
    '      kind: Widget',
    "      current: status.phase == 'Ready'",
    `      failed: ${failed}`,
    '      message: "\'widget is \' + status.phase"',
    '',
  ].join('\n');

const widget = (phase: string) => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'w', namespace: 'shop' },
  status: { phase },
});

describe('/api/v1/health-rules', () => {
  it('answers 404 before any rules were applied, and refuses a viewer or operator applying them', async () => {
    expect((await t.api('GET', '/api/v1/health-rules', { role: 'viewer' })).status).toBe(404);
    const body = { yaml: rules("status.phase == 'Broken'"), file: 'rules.yaml' };
    expect((await t.api('POST', '/api/v1/health-rules', { role: 'operator', body })).status).toBe(403);
    expect((await t.api('POST', '/api/v1/health-rules', { role: 'none', body })).status).toBe(401);
  });

  it('refuses an expression that does not compile with a 422 naming the file, line and field, storing nothing', async () => {
    const answer = await t.api('POST', '/api/v1/health-rules', {
      body: { yaml: rules('status.phase == '), file: 'rules.yaml' },
    });
    expect(answer.status, answer.text).toBe(422);
    expect(answer.json).toMatchObject({ code: 'HEALTH_RULES_INVALID' });
    expect(answer.text).toMatch(/rules\.yaml:8:/);
    expect(answer.text).toContain('failed');
    expect((await t.api('GET', '/api/v1/health-rules')).status).toBe(404);
  });

  it('applies versions, and tries the rules in force on an object sent as a file', async () => {
    const first = await t.api('POST', '/api/v1/health-rules', {
      body: { yaml: rules("status.phase == 'Broken'"), file: 'rules.yaml' },
    });
    expect(first.status, first.text).toBe(201);
    expect(first.json).toMatchObject({ version: 1, rules: [{ kind: 'Widget' }] });
    const second = await t.api('POST', '/api/v1/health-rules', {
      body: { yaml: rules("status.phase in ['Broken', 'Lost']"), file: 'rules.yaml' },
    });
    expect(second.json).toMatchObject({ version: 2 });
    const current = await t.api('GET', '/api/v1/health-rules', { role: 'viewer' });
    expect(current.json).toMatchObject({ version: 2 });

    const lost = await t.api('POST', '/api/v1/health-rules/test', {
      role: 'viewer',
      body: { object: widget('Lost') },
    });
    expect(lost.status, lost.text).toBe(200);
    expect(lost.json).toMatchObject({ state: 'Failed', message: 'Widget shop/w: widget is Lost' });
    const ready = await t.api('POST', '/api/v1/health-rules/test', {
      role: 'viewer',
      body: { object: widget('Ready') },
    });
    expect(ready.json).toMatchObject({ state: 'Ready' });
    // Rules sent with the request win over the ones in force.
    const tried = await t.api('POST', '/api/v1/health-rules/test', {
      role: 'viewer',
      body: { rules: rules("status.phase == 'Ready'"), file: 'try.yaml', object: widget('Ready') },
    });
    expect(tried.json).toMatchObject({ state: 'Failed' });
  });

  it("refuses an object's apiVersion or kind longer or otherwise than Kubernetes allows, naming the field", async () => {
    const long = 'a'.repeat(1024 * 1024);
    const cases = [
      {
        object: { ...widget('Ready'), apiVersion: `${long}/v1` },
        field: 'object.apiVersion',
        says: 'at most 317',
      },
      { object: { ...widget('Ready'), kind: long }, field: 'object.kind', says: 'at most 63' },
      {
        object: { ...widget('Ready'), apiVersion: 'example.com/v1/x' },
        field: 'object.apiVersion',
        says: 'group/version',
      },
      { object: { ...widget('Ready'), kind: 'Wid get' }, field: 'object.kind', says: 'must be a kind' },
    ];
    for (const { object, field, says } of cases) {
      const answer = await t.api('POST', '/api/v1/health-rules/test', { role: 'viewer', body: { object } });
      expect(answer.status, answer.text.slice(0, 500)).toBe(400);
      const { detail } = answer.json as { detail: string };
      expect(detail).toContain(`body ${field}: `);
      expect(detail).toContain(says);
      // Neither quoted: the answer is about the field, not the client's text.
      expect(answer.text.length).toBeLessThan(2048);
    }
    // The longest apiVersion Kubernetes allows is taken.
    const group = [63, 63, 63, 61].map((n) => 'g'.repeat(n)).join('.');
    const longest = { ...widget('Ready'), apiVersion: `${group}/${'v'.repeat(63)}` };
    expect(longest.apiVersion).toHaveLength(253 + 1 + 63);
    const taken = await t.api('POST', '/api/v1/health-rules/test', {
      role: 'viewer',
      body: { object: longest },
    });
    expect(taken.status, taken.text).toBe(200);
  });

  it('refuses a live object to anyone but an admin, and a live Secret to everyone, before reading the cluster', async () => {
    // A viewer's rules could print any field of what the hub reads with the cluster's credentials
    // (message: string(data)), so a live object needs admin; no cluster is registered, so a 404 would mean
    // the hub went looking.
    const live = {
      cluster: 'prod',
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'kube-system',
      name: 'x',
    };
    const body = { rules: rules("status.phase == 'Broken'"), live };
    for (const role of ['viewer', 'operator'] as const) {
      const answer = await t.api('POST', '/api/v1/health-rules/test', { role, body });
      expect(answer.status, answer.text).toBe(403);
      expect(answer.json).toMatchObject({ code: 'FORBIDDEN' });
      expect(answer.text).toContain('admin role');
    }
    expect((await t.api('POST', '/api/v1/health-rules/test', { role: 'admin', body })).status).toBe(404);
    const secret = await t.api('POST', '/api/v1/health-rules/test', {
      role: 'admin',
      body: { live: { ...live, kind: 'Secret' } },
    });
    expect(secret.status, secret.text).toBe(400);
    expect(secret.text).toContain('a Secret is never read');
    // "/v1" reaches the same core group on the API server: refused as a malformed apiVersion.
    const spelt = await t.api('POST', '/api/v1/health-rules/test', {
      role: 'admin',
      body: { live: { ...live, apiVersion: '/v1', kind: 'Secret' } },
    });
    expect(spelt.status, spelt.text).toBe(400);
    expect(spelt.text).toContain('group/version');
  });
});
