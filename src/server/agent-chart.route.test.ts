// A chart archive served to an agent (security review 10, item 2). It was base64 in JSON, built whole for each
// request (a 14 MB chart held ~19 MB of the hub per request its reader never read), with no cap per token: a
// stolen agent token ran the hub out of memory. Now it is application/octet-stream read from the store as it is
// sent, and a costly request: one token has at most DEFAULT_MAX_HEAVY_PER_TOKEN in progress.
// A real listening hub on SQLite, no control plane: the agent cluster's runner is told it wants the stored blob.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AgentRunner } from '../hub/agents-runner.js';
import { SqliteBackend } from '../store/testing/backends.js';
import { DEFAULT_MAX_HEAVY_PER_TOKEN } from './heavy-requests.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { startTestHub, type TestHub } from './testing/server.js';

const backend = new SqliteBackend();
let t: TestHub;
let token: string;
let digest: string;
// Bigger than what loopback socket buffers take in: a reader that stops reading leaves the answer unfinished.
const chart = randomBytes(16 * 1024 * 1024);

beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend);
  const made = await t.api('POST', '/api/v1/agent-clusters', { body: { name: 'edge' } });
  expect(made.status, made.text).toBe(201);
  ({ token } = made.json as { token: string });
  digest = await t.store.blobs.put(chart);
  vi.spyOn(AgentRunner.prototype, 'wantsChart').mockImplementation((wanted) =>
    Promise.resolve(wanted === digest),
  );
});
afterAll(async () => {
  vi.restoreAllMocks();
  await t.close();
  await backend.teardown();
});

const get = (headers: Record<string, string> = {}) =>
  fetch(`${t.url}/api/v1/agent/charts/${digest}`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
  });

/** A GET of the chart whose reader stops reading once the answer's headers arrive; resolves with its status line. */
function stalledRequest(sockets: net.Socket[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(t.url).port), '127.0.0.1', () => {
      socket.write(
        `GET /api/v1/agent/charts/${digest} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      );
    });
    sockets.push(socket);
    socket.once('data', (data: Buffer) => {
      socket.pause();
      resolve(data.toString('latin1').split('\r\n')[0] ?? '');
    });
    socket.once('error', reject);
  });
}

describe('agentChart', () => {
  it('sends the archive as application/octet-stream with its length, and its digest as the ETag', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe(String(chart.length));
    const body = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(digest);
    expect(res.headers.get('etag')).toBe(`"${digest}"`);
    const again = await get({ 'if-none-match': `"${digest}"` });
    expect(again.status).toBe(304);
  });

  it(`refuses a token's chart request number ${DEFAULT_MAX_HEAVY_PER_TOKEN + 1} while its others are unread, and serves it once they close`, async () => {
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < DEFAULT_MAX_HEAVY_PER_TOKEN; i++) {
        expect(await stalledRequest(sockets)).toBe('HTTP/1.1 200 OK');
      }
      const refused = await get();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('2');
      expect(refused.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
      expect(await refused.json()).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
      // Its cheap routes are still served.
      const desired = await fetch(`${t.url}/api/v1/agent/desired`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(desired.status).not.toBe(429);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    // The closed connections gave their slots back.
    await vi.waitFor(async () => {
      const res = await get();
      await res.body?.cancel();
      expect(res.status).toBe(200);
    });
  });
});
