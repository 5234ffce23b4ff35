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
        { resolveChartHosts: false },
        { resolveChartHosts: true },
      ]);
    } finally {
      validate.mockRestore();
    }
  });
});
