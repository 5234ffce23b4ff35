// The HTTP API against a real listening server on 127.0.0.1, over the store on SQLite and on PostgreSQL:
// the authorization matrix over the whole route table, bad input, the OpenAPI document, tokens and audit,
// and SSE resume. The deploy path with a real control plane is in deploy.int.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { packStatus, advance } from '../store/testing/fixtures.js';
import { backends } from '../store/testing/backends.js';
import { createServer } from './app.js';
import { buildOpenApi } from './openapi.js';
import { PROBLEM_CONTENT_TYPE, type Problem } from './problem.js';
import { jsonRoute, Role, roleRank, type AnyRoute } from './route.js';
import { routeTable } from './routes/index.js';
import { ROLES, SseClient, startTestHub, type RoleName, type TestHub } from './testing/server.js';

const fill = (path: string) => path.replace(/\{\w+\}/g, 'nope');
// A route that checks its caller itself (/metrics) requires that role here: this hub runs without --metrics-public.
const allowed = (route: AnyRoute, role: RoleName) => {
  const required = route.checksCaller ?? route.role;
  return required === Role.Public || (role !== 'none' && roleRank[role] >= roleRank[required]);
};

/** A kubeconfig the hub can parse, for a server nobody listens on. */
const unreachableKubeconfig = [
  'apiVersion: v1',
  'kind: Config',
  'clusters:',
  '- name: c',
  '  cluster: { server: "https://127.0.0.1:1" }',
  'users:',
  '- name: u',
  '  user: { token: abc }',
  'contexts:',
  '- name: ctx',
  '  context: { cluster: c, user: u }',
  'current-context: ctx',
  '',
].join('\n');

describe.each(backends())('HTTP API on $name', (backend) => {
  let t: TestHub;
  beforeAll(async () => {
    await backend.setup();
    t = await startTestHub(backend);
  });
  afterAll(async () => {
    await t.close();
    await backend.teardown();
  });

  describe('authorization matrix: every route × every role', () => {
    for (const route of routeTable) {
      for (const role of ROLES) {
        const expectation = allowed(route, role) ? 'allowed' : role === 'none' ? '401' : '403';
        it(`${route.method} ${route.path} as ${role}: ${expectation}`, async () => {
          const controller = new AbortController();
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (role !== 'none') headers.authorization = `Bearer ${t.tokens[role]}`;
          const hasBody = route.kind === 'json' && route.body !== undefined;
          const res = await fetch(t.url + fill(route.path), {
            method: route.method,
            headers,
            signal: controller.signal,
            ...(hasBody ? { body: '{}' } : {}),
          });
          const status = res.status;
          const text = route.kind === 'stream' && status === 200 ? '' : await res.text();
          controller.abort();
          if (expectation === 'allowed') {
            expect(status, text).not.toBe(401);
            expect(status, text).not.toBe(403);
            expect(status, text).toBeLessThan(500);
          } else {
            expect(status).toBe(Number(expectation));
            expect(res.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
            const problem = JSON.parse(text) as Problem;
            expect(problem.code).toBe(role === 'none' ? 'UNAUTHENTICATED' : 'FORBIDDEN');
            if (role !== 'none') {
              expect(problem.requiredRole).toBe(route.role);
              expect(problem.detail).toContain(route.role);
            }
          }
        });
      }
    }

    it('a bad or revoked token is 401', async () => {
      const bad = await t.api('GET', '/api/v1/clusters', {
        role: 'none',
        headers: { authorization: 'Bearer strata_nope' },
      });
      expect(bad.status).toBe(401);
      const created = await t.api('POST', '/api/v1/tokens', {
        body: { role: 'viewer', name: 'short-lived' },
      });
      expect(created.status).toBe(201);
      const { token, plaintext } = created.json as { token: { id: string }; plaintext: string };
      const auth = { authorization: `Bearer ${plaintext}` };
      expect((await t.api('GET', '/api/v1/clusters', { role: 'none', headers: auth })).status).toBe(200);
      expect((await t.api('DELETE', `/api/v1/tokens/${token.id}`)).status).toBe(204);
      expect((await t.api('GET', '/api/v1/clusters', { role: 'none', headers: auth })).status).toBe(401);
    });
  });

  describe('tokens and audit', () => {
    it('lists tokens without secrets and audits create and revoke with the actor', async () => {
      const created = await t.api('POST', '/api/v1/tokens', { body: { role: 'operator', name: 'ci' } });
      expect(created.status).toBe(201);
      const { token, plaintext } = created.json as { token: { id: string; role: string }; plaintext: string };
      expect(plaintext).toMatch(/^strata_/);
      const list = await t.api('GET', '/api/v1/tokens');
      expect(list.text).not.toContain(plaintext);
      expect((list.json as { name: string }[]).map((x) => x.name)).toContain('ci');
      expect((await t.api('POST', '/api/v1/tokens', { body: { role: 'operator', name: 'ci' } })).status).toBe(
        409,
      );
      expect((await t.api('POST', '/api/v1/tokens', { body: { role: 'root', name: 'x' } })).status).toBe(400);
      await t.api('DELETE', `/api/v1/tokens/${token.id}`);
      const audit = await t.store.audit.list({ target: `token/${token.id}` });
      expect(audit.map((a) => a.action).sort()).toEqual(['token.create', 'token.revoke']);
      expect(
        audit.every((a) => a.actor.name.startsWith('test-admin-') && a.actor.tokenId !== undefined),
      ).toBe(true);
    });
  });

  describe('bad input', () => {
    const problemOf = (json: unknown) => json as Problem;

    it('an oversized body is 413 BODY_TOO_LARGE', async () => {
      const res = await t.api('POST', '/api/v1/profiles/validate', {
        body: { yaml: 'x'.repeat(3 * 1024 * 1024) },
      });
      expect(res.status).toBe(413);
      expect(problemOf(res.json).code).toBe('BODY_TOO_LARGE');
    });

    it('invalid JSON is 400 INVALID_JSON naming the position', async () => {
      const res = await t.api('POST', '/api/v1/clusters', { raw: '{"name": "a",\n "kubeconfig": }' });
      expect(res.status).toBe(400);
      expect(problemOf(res.json).code).toBe('INVALID_JSON');
      expect(problemOf(res.json).detail).toContain('line 2 column 16');
    });

    it('a missing field is 400 INVALID_REQUEST naming the field', async () => {
      const res = await t.api('POST', '/api/v1/clusters', { body: { name: 'a' } });
      expect(res.status).toBe(400);
      expect(problemOf(res.json).code).toBe('INVALID_REQUEST');
      expect(problemOf(res.json).detail).toContain('kubeconfig');
    });

    it('an unsupported media type is 415', async () => {
      const res = await t.api('POST', '/api/v1/clusters', {
        raw: 'name=a',
        headers: { 'content-type': 'text/plain' },
      });
      expect(res.status).toBe(415);
      expect(res.contentType).toContain(PROBLEM_CONTENT_TYPE);
    });

    it('invalid YAML: validate answers positioned issues, import answers 422 and stores nothing', async () => {
      const yaml = 'apiVersion: strata.dev/v1alpha1\nkind: ClusterProfile\nmetadata:\n  name: [broken\n';
      const validate = await t.api('POST', '/api/v1/profiles/validate?file=broken.yaml', {
        raw: yaml,
        headers: { 'content-type': 'application/yaml' },
      });
      expect(validate.status).toBe(200);
      const result = validate.json as {
        valid: boolean;
        issues: { file: string; line: number; column: number; formatted: string }[];
      };
      expect(result.valid).toBe(false);
      expect(result.issues[0]).toMatchObject({ file: 'broken.yaml' });
      expect(result.issues[0]?.line).toBeGreaterThan(0);
      expect(result.issues[0]?.formatted).toMatch(/^broken\.yaml:\d+:\d+ /);

      const imported = await t.api('POST', '/api/v1/profiles', { body: { yaml, file: 'broken.yaml' } });
      expect(imported.status).toBe(422);
      expect(problemOf(imported.json).code).toBe('PROFILE_INVALID');
      expect(problemOf(imported.json).issues?.[0]?.line).toBeGreaterThan(0);
      expect((await t.api('GET', '/api/v1/profiles')).json).toEqual([]);
    });

    it('unknown names are 404 NOT_FOUND; unknown routes are 404 ROUTE_NOT_FOUND', async () => {
      for (const path of [
        '/api/v1/clusters/nope',
        '/api/v1/clusters/nope/page',
        '/api/v1/profiles/nope/versions',
      ]) {
        const res = await t.api('GET', path);
        expect(res.status, path).toBe(404);
        expect(problemOf(res.json).code).toBe('NOT_FOUND');
        expect(problemOf(res.json).instance).toBe(path);
      }
      const route = await t.api('GET', '/api/v1/nothing-here');
      expect(route.status).toBe(404);
      expect(problemOf(route.json).code).toBe('ROUTE_NOT_FOUND');
    });

    it('an unparseable kubeconfig is 400 KUBECONFIG_INVALID and nothing is stored', async () => {
      const res = await t.api('POST', '/api/v1/clusters', {
        body: { name: 'bad-kc', kubeconfig: 'this: [is not' },
      });
      expect(res.status).toBe(400);
      expect(problemOf(res.json).code).toBe('KUBECONFIG_INVALID');
      expect(problemOf(res.json).detail.length).toBeGreaterThan(10);
      expect((await t.api('GET', '/api/v1/clusters/bad-kc')).status).toBe(404);
    });

    it('a kubeconfig for an unreachable server is 422 CLUSTER_UNREACHABLE and nothing is stored', async () => {
      const res = await t.api('POST', '/api/v1/clusters', {
        body: { name: 'gone', kubeconfig: unreachableKubeconfig },
      });
      expect(res.status).toBe(422);
      expect(problemOf(res.json).code).toBe('CLUSTER_UNREACHABLE');
      expect((await t.api('GET', '/api/v1/clusters/gone')).status).toBe(404);
      expect(((await t.api('GET', '/api/v1/clusters')).json as unknown[]).length).toBe(0);
    });

    it('an unexpected error is 500 INTERNAL with a request id and no stack trace', async () => {
      const boom = jsonRoute({
        method: 'GET',
        path: '/boom',
        operationId: 'boom',
        tag: 'test',
        summary: 'fails',
        role: Role.Public,
        status: 200,
        response: z.object({}),
        handler: () => Promise.reject(new Error('secret internal detail at /etc/strata')),
      });
      const server = createServer({
        hub: t.hub,
        logLevel: 'silent',
        defaultMetrics: false,
        routes: [boom],
      });
      const url = await server.listen({ host: '127.0.0.1', port: 0 });
      try {
        const res = await fetch(`${url}/boom`);
        const text = await res.text();
        expect(res.status).toBe(500);
        const problem = JSON.parse(text) as Problem;
        expect(problem.code).toBe('INTERNAL');
        expect(problem.requestId).toBe(res.headers.get('x-request-id'));
        expect(text).not.toContain('secret internal detail');
        expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
      } finally {
        await server.close();
      }
    });
  });

  describe('system endpoints and the OpenAPI document', () => {
    it('/healthz and /readyz answer without a token, /metrics with any', async () => {
      expect((await t.api('GET', '/healthz', { role: 'none' })).json).toEqual({ status: 'ok' });
      expect((await t.api('GET', '/readyz', { role: 'none' })).json).toEqual({ status: 'ok' });
      expect((await t.api('GET', '/metrics', { role: 'none' })).status).toBe(401);
      const metrics = await t.api('GET', '/metrics', { role: 'viewer' });
      expect(metrics.status).toBe(200);
      for (const name of [
        'strata_packs',
        'strata_pack_transitions_total',
        'strata_pack_install_duration_seconds',
        'strata_watch_reconnects_total',
        'strata_http_request_duration_seconds',
      ]) {
        expect(metrics.text).toContain(name);
      }
    });

    it('GET /api/v1/openapi.json is the route table: every route, with responses and its role', async () => {
      const res = await t.api('GET', '/api/v1/openapi.json', { role: 'none' });
      expect(res.status).toBe(200);
      const doc = res.json as {
        openapi: string;
        paths: Record<
          string,
          Record<
            string,
            {
              operationId: string;
              responses: Record<string, unknown>;
              security: unknown[];
              'x-strata-role': string;
            }
          >
        >;
        components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
      };
      expect(doc).toEqual(buildOpenApi(routeTable, { version: '0.1.0', serverUrl: '/' }));
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.components.securitySchemes.bearer).toBeDefined();
      expect(doc.components.schemas.Problem).toBeDefined();
      const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
      expect(operations.map((o) => o.operationId).sort()).toEqual(
        routeTable.map((r) => r.operationId).sort(),
      );
      for (const route of routeTable) {
        const op = doc.paths[route.path]?.[route.method.toLowerCase()];
        expect(op, `${route.method} ${route.path}`).toBeDefined();
        expect(Object.keys(op?.responses ?? {}).length).toBeGreaterThan(1);
        expect(op?.['x-strata-role']).toBe(route.role);
        if (route.role !== Role.Public)
          expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['401', '403']));
        // A route answered with an ETag documents its 304 (src/server/etag.ts).
        const etag = route.kind === 'json' && route.etag === true;
        expect(Object.keys(op?.responses ?? {}).includes('304'), route.operationId).toBe(etag);
      }
      expect(routeTable.filter((r) => r.kind === 'json' && r.etag === true).length).toBeGreaterThan(0);
      // Every $ref points at a component that exists.
      for (const ref of res.text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
        expect(doc.components.schemas[ref[1] ?? '']).toBeDefined();
      }
    });
  });

  describe('SSE', () => {
    let seq = 0;
    /** Writes `n` pack status changes to the store, the way the engine's writer would. */
    async function writeEvents(cluster: string, n: number): Promise<void> {
      for (let i = 0; i < n; i++) {
        seq++;
        const phase = seq % 2 === 0 ? 'success' : 'processing';
        const previous = packStatus(phase === 'success' ? 'processing' : 'success');
        await t.store.packStatus.record({
          cluster,
          pack: `p${seq % 5}`,
          status: advance(previous, phase, new Date().toISOString()),
        });
      }
    }

    beforeAll(async () => {
      for (const name of ['sse-a', 'sse-b']) {
        await t.store.clusters.create({ name, kubeconfig: unreachableKubeconfig });
      }
    });

    it('a reconnecting client with Last-Event-ID misses nothing and gets nothing twice, while events keep coming', async () => {
      const first = await SseClient.open(t.url, { token: t.tokens.viewer, cluster: 'sse-a' });
      expect(first.status).toBe(200);
      await writeEvents('sse-a', 10);
      await first.until(
        (m) => m.filter((x) => x.data.kind === 'pack.status').length >= 10,
        10_000,
        'first 10 status events',
      );
      await first.close();
      const lastSeen = first.ids.at(-1) ?? 0;

      // Written while nobody listens, during the reconnect, and after it.
      await writeEvents('sse-a', 7);
      await writeEvents('sse-b', 3);
      const writing = writeEvents('sse-a', 20);
      const second = await SseClient.open(t.url, {
        token: t.tokens.viewer,
        cluster: 'sse-a',
        lastEventId: lastSeen,
      });
      await writing;
      await writeEvents('sse-a', 5);

      const expected = (await t.store.eventsSince(0, { cluster: 'sse-a', limit: 10_000 })).map((e) => e.id);
      await second.until((m) => (m.at(-1)?.id ?? 0) >= (expected.at(-1) ?? 0), 15_000, 'the last event');
      await second.close();

      const received = [...first.ids, ...second.ids];
      expect(new Set(received).size).toBe(received.length);
      expect(received).toEqual(expected.filter((id) => id >= (first.ids[0] ?? 0)));
      expect(second.messages.every((m) => m.data.cluster === 'sse-a')).toBe(true);
      // The SSE fields agree with the data.
      for (const m of second.messages) {
        expect(m.id).toBe(m.data.id);
        expect(m.event).toBe(m.data.kind);
      }
    });

    it('resumes with ?lastEventId= too, and rejects a malformed Last-Event-ID', async () => {
      const all = await t.store.eventsSince(0, { limit: 10_000 });
      const from = all[all.length - 4]?.id ?? 0;
      const client = await SseClient.open(t.url, {
        token: t.tokens.viewer,
        lastEventId: from,
        viaQuery: true,
      });
      await client.until((m) => m.length >= 3, 10_000, 'the last 3 events');
      await client.close();
      expect(client.ids.slice(0, 3)).toEqual(all.slice(-3).map((e) => e.id));

      const bad = await fetch(`${t.url}/api/v1/events`, {
        headers: { authorization: `Bearer ${t.tokens.viewer}`, 'last-event-id': 'abc' },
      });
      expect(bad.status).toBe(400);
      await bad.text();
    });

    it('marks the end of the replay with a `: live` comment, after every stored event', async () => {
      const stored = await t.hub.eventsSince(0);
      const newest = stored.at(-1)?.id ?? 0;
      const controller = new AbortController();
      const res = await fetch(`${t.url}/api/v1/events`, {
        headers: { authorization: `Bearer ${t.tokens.viewer}`, 'last-event-id': '0' },
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      if (!res.body) throw new Error('the event stream has no body');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes(': live\n\n')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      controller.abort();
      const replay = text.slice(0, text.indexOf(': live\n\n'));
      const ids = [...replay.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      expect(ids.length).toBeGreaterThan(0);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(ids).toContain(newest);
      expect(text.startsWith(': connected\n\n')).toBe(true);
    });

    it('sends a heartbeat comment', async () => {
      const server = createServer({
        hub: t.hub,
        logLevel: 'silent',
        defaultMetrics: false,
        heartbeatMs: 100,
      });
      const url = await server.listen({ host: '127.0.0.1', port: 0 });
      try {
        const client = await SseClient.open(url, { token: t.tokens.viewer });
        await new Promise((r) => setTimeout(r, 350));
        await client.close();
        // ": connected" plus at least two heartbeats.
        expect(client.comments).toBeGreaterThanOrEqual(3);
      } finally {
        await server.close();
      }
    });
  });
});
