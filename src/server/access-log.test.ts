// The hub's access log (access-log.ts): one line per request with what an operator reads it for, the token's
// name and never its value, and nothing at all below the level.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { startTestHub, type TestHub } from './testing/server.js';

const backend = new SqliteBackend();
const lines: Record<string, unknown>[] = [];
let t: TestHub;

beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend, {
    server: {
      logLevel: 'info',
      logStream: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    },
  });
});

afterAll(async () => {
  await t.close();
  await backend.teardown();
});

const linesOf = (reqId: string | null) => lines.filter((l) => l.reqId === reqId);

describe('the access log', () => {
  it("writes one line per request: id, method, path, route, status, time, address and the token's name", async () => {
    const res = await fetch(`${t.url}/api/v1/clusters?x=1`, {
      headers: { authorization: `Bearer ${t.tokens.viewer}` },
    });
    expect(res.status).toBe(200);
    const reqId = res.headers.get('x-request-id');
    expect(linesOf(reqId)).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request completed',
        method: 'GET',
        url: '/api/v1/clusters?x=1',
        route: '/api/v1/clusters',
        status: 200,
        ms: expect.any(Number) as number,
        address: '127.0.0.1',
        token: expect.stringMatching(/^test-viewer-/) as string,
      }),
    ]);
    expect(lines.some((l) => l.msg === 'incoming request')).toBe(false);
    expect(JSON.stringify(lines)).not.toContain(t.tokens.viewer);
  });

  it('logs a refused token without its value or a name, and an unknown path as unmatched', async () => {
    const forged = 'strata_forgedTokenValueThatMustNotBeLogged0123';
    const refused = await fetch(`${t.url}/api/v1/clusters`, {
      headers: { authorization: `Bearer ${forged}` },
    });
    expect(refused.status).toBe(401);
    const [line] = linesOf(refused.headers.get('x-request-id'));
    expect(line).toMatchObject({ status: 401, route: '/api/v1/clusters' });
    expect(line).not.toHaveProperty('token');
    const unknown = await fetch(`${t.url}/api/v1/nowhere`);
    expect(linesOf(unknown.headers.get('x-request-id'))).toMatchObject([{ status: 404, route: 'unmatched' }]);
    expect(JSON.stringify(lines)).not.toContain(forged);
    expect(JSON.stringify(lines).toLowerCase()).not.toContain('authorization');
  });

  it('writes the line of an event stream when it closes, with how long it was open', async () => {
    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${t.tokens.viewer}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reqId = res.headers.get('x-request-id');
    expect(linesOf(reqId)).toEqual([]);
    controller.abort();
    await expect
      .poll(() => linesOf(reqId))
      .toEqual([
        expect.objectContaining({
          msg: 'stream closed',
          method: 'GET',
          route: '/api/v1/events',
          status: 200,
          token: expect.stringMatching(/^test-viewer-/) as string,
        }),
      ]);
  });

  it('writes nothing for requests below the level', async () => {
    t.server.app.log.level = 'warn';
    try {
      const before = lines.length;
      const res = await fetch(`${t.url}/api/v1/clusters`, {
        headers: { authorization: `Bearer ${t.tokens.viewer}` },
      });
      expect(res.status).toBe(200);
      expect(lines.length).toBe(before);
    } finally {
      t.server.app.log.level = 'info';
    }
  });
});
