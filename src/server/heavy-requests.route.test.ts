// The cap on costly requests per token, through the real routes: a token with as many costly requests in
// progress as it may have gets 429 TOO_MANY_REQUESTS (problem+json, Retry-After) on the next one, whichever
// costly route it is, while another token is still served; a finished request gives its slot back.
// A real listening hub on SQLite with no clusters: no control plane. The work is held by a stand-in for the
// health-rule test, so the requests are in progress for as long as the test says.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { DEFAULT_MAX_HEAVY_PER_TOKEN, HEAVY_OPERATIONS } from './heavy-requests.js';
import { PROBLEM_CONTENT_TYPE, type Problem } from './problem.js';
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

const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } };
const verdict = { state: 'Ready', reason: 'Exists', message: '' } as const;

describe('costly requests per token', () => {
  it('names only routes that exist (a renamed operation would silently lose its cap)', () => {
    const operations = new Set(t.server.routes.map((route) => route.operationId));
    expect([...HEAVY_OPERATIONS].filter((id) => !operations.has(id))).toEqual([]);
  });

  it(`refuses a token's costly request number ${DEFAULT_MAX_HEAVY_PER_TOKEN + 1} with a 429 while another token is served; a finished one frees its slot`, async () => {
    const held: (() => void)[] = [];
    const test = vi.spyOn(t.hub.healthRules, 'test').mockImplementation(
      () =>
        new Promise((resolve) => {
          held.push(() => {
            resolve(verdict);
          });
        }),
    );
    try {
      const running = Array.from({ length: DEFAULT_MAX_HEAVY_PER_TOKEN }, () =>
        t.api('POST', '/api/v1/health-rules/test', { role: 'viewer', body: { object } }),
      );
      await vi.waitFor(() => {
        expect(held).toHaveLength(DEFAULT_MAX_HEAVY_PER_TOKEN);
      });

      // Another costly route of the same token is refused too: the cap is per token, not per route.
      const refused = await fetch(`${t.url}/api/v1/profiles/p/versions/1.0.0/bundle`, {
        headers: { authorization: `Bearer ${t.tokens.viewer}` },
      });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('2');
      expect(refused.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
      expect((await refused.json()) as Problem).toMatchObject({
        status: 429,
        code: 'TOO_MANY_REQUESTS',
        detail:
          'this token already has 4 costly requests in progress (previews, validations, health-rule tests, ' +
          'pack values, bundle downloads, chart version checks), the most one token may have (4): wait for one ' +
          'to finish, or ask ' +
          "the hub's admin to raise STRATA_MAX_COSTLY_REQUESTS_PER_TOKEN (or --max-costly-requests-per-token)",
      });
      // Checking a version's chart versions asks remote sources: counted too (review 8, item 6).
      const outdated = await t.api('GET', '/api/v1/profiles/p/versions/1.0.0/outdated', { role: 'viewer' });
      expect(outdated.status, outdated.text).toBe(429);
      // A cheap route of the same token is not counted.
      expect((await t.api('GET', '/api/v1/profiles', { role: 'viewer' })).status).toBe(200);

      // Another token is served.
      const other = t.api('POST', '/api/v1/health-rules/test', { role: 'operator', body: { object } });
      await vi.waitFor(() => {
        expect(held).toHaveLength(DEFAULT_MAX_HEAVY_PER_TOKEN + 1);
      });
      held[DEFAULT_MAX_HEAVY_PER_TOKEN]?.();
      expect((await other).status).toBe(200);

      // A finished request gives its slot back.
      held[0]?.();
      expect((await running[0])?.status).toBe(200);
      const again = t.api('POST', '/api/v1/health-rules/test', { role: 'viewer', body: { object } });
      await vi.waitFor(() => {
        expect(held).toHaveLength(DEFAULT_MAX_HEAVY_PER_TOKEN + 2);
      });
      for (const release of held) release();
      expect((await again).status).toBe(200);
      for (const answer of await Promise.all(running)) expect(answer.status).toBe(200);
    } finally {
      test.mockRestore();
    }
  });
});

describe("a viewer's validation", () => {
  it("looks no chart host up in DNS; an operator's does, as publishing will", async () => {
    const validate = vi.spyOn(t.hub, 'validateProfile');
    try {
      const yaml = 'apiVersion: strata.dev/v1alpha1\nkind: ClusterProfile\n';
      for (const role of ['viewer', 'operator'] as const) {
        const answer = await t.api('POST', '/api/v1/profiles/validate', { role, body: { yaml } });
        expect(answer.status).toBe(200);
      }
      expect(validate.mock.calls.map((call) => call[1])).toEqual([
        // The request's close aborts its check (review 11, item 4).
        {
          resolveChartHosts: false,
          owner: { key: expect.any(String) as unknown, privileged: false },
          signal: expect.any(AbortSignal) as unknown,
        },
        {
          resolveChartHosts: true,
          owner: { key: expect.any(String) as unknown, privileged: true },
          signal: expect.any(AbortSignal) as unknown,
        },
      ]);
      // Each waits with its own token's share of the places.
      const [viewer, operator] = validate.mock.calls.map((call) => call[1]?.owner?.key);
      expect(viewer).not.toBe(operator);
    } finally {
      validate.mockRestore();
    }
  });
});

describe('costly requests per operation, hub-wide', () => {
  // Review 9, item 5: the cap was per token only, so a few viewer tokens could hold every place of a pool.
  it("refuses a viewer past the viewers' share of one operation with a 503 naming the limit (the hub is full, not this token over its share), still serves an operator, and counts other operations apart", async () => {
    const hub = await startTestHub(backend, { server: { maxHeavyPerOperation: 6 } });
    const held: (() => void)[] = [];
    const test = vi.spyOn(hub.hub.healthRules, 'test').mockImplementation(
      () =>
        new Promise((resolve) => {
          held.push(() => {
            resolve(verdict);
          });
        }),
    );
    try {
      // Two more viewer tokens: 3 viewers × 1 test stay within each token's cap of 4.
      const viewers = [hub.tokens.viewer];
      for (const name of ['second', 'third'])
        viewers.push((await hub.store.tokens.create({ role: 'viewer', name: `v-${name}` })).plaintext);
      const post = (token: string) =>
        fetch(`${hub.url}/api/v1/health-rules/test`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ object }),
        });
      // Viewers together may hold 6 - 4 = 2.
      const running = [post(viewers[0] ?? ''), post(viewers[1] ?? '')];
      await vi.waitFor(() => {
        expect(held).toHaveLength(2);
      });
      const refused = await post(viewers[2] ?? '');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('2');
      const problem = (await refused.json()) as Problem;
      expect(problem.code).toBe('HUB_BUSY');
      expect(problem.detail).toBe(
        "the hub already has 2 testHealthRules requests in progress, the most viewers' tokens may hold together " +
          '(2 of the hub-wide 6 per operation; the rest is kept for operators and admins), and this token holds 0 ' +
          'of them: send it again in a few ' +
          "seconds, or ask the hub's admin to raise STRATA_MAX_COSTLY_REQUESTS_PER_OPERATION (or " +
          '--max-costly-requests-per-operation)',
      );
      // Another costly operation of that viewer is counted apart: refused here only by its own route's work.
      const values = await fetch(`${hub.url}/api/v1/profiles/p/versions/1.0.0/bundle`, {
        headers: { authorization: `Bearer ${viewers[2] ?? ''}` },
      });
      expect(values.status).not.toBe(429);
      expect(values.status).not.toBe(503);
      // An operator's test is served.
      const operator = hub.api('POST', '/api/v1/health-rules/test', { role: 'operator', body: { object } });
      await vi.waitFor(() => {
        expect(held).toHaveLength(3);
      });
      for (const release of held) release();
      expect((await operator).status).toBe(200);
      for (const answer of await Promise.all(running)) expect(answer.status).toBe(200);
      // The places are given back.
      const after = post(viewers[2] ?? '');
      await vi.waitFor(() => {
        expect(held).toHaveLength(4);
      });
      held[3]?.();
      expect((await after).status).toBe(200);
    } finally {
      test.mockRestore();
      await hub.close();
    }
  });
});
