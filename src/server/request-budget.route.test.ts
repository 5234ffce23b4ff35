// What one token can make the hub hold (security review 9, items 3 and 4): a costly request takes its token's slot
// before any byte of its body is read, request bodies being read are capped per token and hub-wide by what they
// announce, and one token's requests cannot hold more than so many connections while another token is served.
// Each case stalls requests that announce a body and send little of it, as a slow or hostile client would.
// Real listening hubs on SQLite with no clusters: no control plane.
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { DEFAULT_MAX_HEAVY_PER_TOKEN } from './heavy-requests.js';
import type { Problem } from './problem.js';
import { startTestHub, type TestHub } from './testing/server.js';

const MIB = 1024 * 1024;
const backend = new SqliteBackend();
const hubs: TestHub[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  await backend.setup();
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});
afterAll(async () => {
  for (const hub of hubs) await hub.close();
  await backend.teardown();
});

async function hub(
  server: Parameters<typeof startTestHub>[1] extends { server?: infer S } | undefined ? S : never,
) {
  const started = await startTestHub(backend, { server: { webRoot: false, ...server } });
  hubs.push(started);
  return started;
}

interface Answer {
  readonly status: number;
  readonly headers: string;
  readonly problem: Problem;
}

/** An open connection to `t`; every request written on it is answered in turn (`answer`). */
async function connection(t: TestHub): Promise<{ socket: Socket; answer(): Promise<Answer> }> {
  const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve).once('error', reject);
  });
  let received = '';
  const waiting: (() => void)[] = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
    for (const wake of waiting.splice(0)) wake();
  });
  socket.on('close', () => {
    for (const wake of waiting.splice(0)) wake();
  });
  const complete = (): Answer | undefined => {
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const headers = received.slice(0, end);
    const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
    if (received.length < end + 4 + length) return undefined;
    const body = received.slice(end + 4, end + 4 + length);
    received = received.slice(end + 4 + length);
    return {
      status: Number(headers.split(' ')[1]),
      headers: headers.toLowerCase(),
      problem: (length === 0 ? {} : JSON.parse(body)) as Problem,
    };
  };
  return {
    socket,
    answer: () =>
      new Promise<Answer>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no answer within 5 s; received so far: ${JSON.stringify(received)}`));
        }, 5000);
        const check = () => {
          const answer = complete();
          if (answer !== undefined) {
            clearTimeout(timer);
            resolve(answer);
          } else if (socket.destroyed || socket.readyState === 'closed') {
            clearTimeout(timer);
            reject(new Error(`closed without an answer; received: ${JSON.stringify(received)}`));
          } else waiting.push(check);
        };
        check();
      }),
  };
}

/** Writes a request's head announcing `announced` body bytes, then `sent` of them (default: none). */
function writeRequest(socket: Socket, token: string, path: string, announced: number, sent = ''): void {
  socket.write(
    `POST ${path} HTTP/1.1\r\nhost: hub\r\nauthorization: Bearer ${token}\r\n` +
      `content-type: application/json\r\ncontent-length: ${String(announced)}\r\n\r\n${sent}`,
  );
}

/** A request that announces `announced` bytes of body and sends one: it holds what it announced. */
async function stall(t: TestHub, token: string, path: string, announced: number): Promise<Socket> {
  const { socket } = await connection(t);
  writeRequest(socket, token, path, announced, '{');
  return socket;
}

/** A request whose body is all announced and none sent: answered at once only if the hub refuses it unread. */
async function unreadBody(t: TestHub, token: string, path: string, announced: number): Promise<Answer> {
  const conn = await connection(t);
  writeRequest(conn.socket, token, path, announced);
  return conn.answer();
}

describe('costly requests take their slot before their body is read', () => {
  it(`refuses a token's costly request number ${DEFAULT_MAX_HEAVY_PER_TOKEN + 1} while ${DEFAULT_MAX_HEAVY_PER_TOKEN} of its uploads stall, before reading its body`, async () => {
    const t = await hub({});
    const stalled = await Promise.all(
      Array.from({ length: DEFAULT_MAX_HEAVY_PER_TOKEN }, () =>
        stall(t, t.tokens.viewer, '/api/v1/profiles/validate', 64 * 1024),
      ),
    );
    await vi.waitFor(async () => {
      const probe = await t.api('POST', '/api/v1/profiles/validate', { role: 'viewer', raw: '{}' });
      expect(probe.status).toBe(429);
    });
    const refused = await unreadBody(t, t.tokens.viewer, '/api/v1/profiles/validate', 64 * 1024);
    expect(refused.status).toBe(429);
    expect(refused.headers).toContain('retry-after: 2');
    expect(refused.problem).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(refused.problem.detail).toContain(
      `the most one token may have (${String(DEFAULT_MAX_HEAVY_PER_TOKEN)})`,
    );
    // Another token is served meanwhile.
    expect(
      (await t.api('POST', '/api/v1/profiles/validate', { role: 'operator', raw: '{}' })).status,
    ).not.toBe(429);

    // A stalled upload whose client goes away gives its slot back.
    stalled[0]?.destroy();
    await vi.waitFor(async () => {
      expect(
        (await t.api('POST', '/api/v1/profiles/validate', { role: 'viewer', raw: '{}' })).status,
      ).not.toBe(429);
    });
  });
});

describe('request bodies being read, per token and in all', () => {
  it("refuses a body over its token's share (429) or the hub's (503) before reading it; a closed upload frees its share", async () => {
    const t = await hub({ bodyBudget: { perToken: 4 * MIB, total: 6 * MIB } });
    // Not a costly route: only the body budget holds these.
    const path = '/api/v1/clusters';
    const validate = '/api/v1/profiles/validate';
    const admin = [
      await stall(t, t.tokens.admin, path, 2 * MIB),
      await stall(t, t.tokens.admin, path, 2 * MIB),
    ];
    await vi.waitFor(async () => {
      expect((await t.api('POST', path, { role: 'admin', raw: '{}' })).status).toBe(429);
    });
    const mine = await unreadBody(t, t.tokens.admin, path, MIB);
    expect(mine.status).toBe(429);
    expect(mine.headers).toContain('retry-after: 2');
    expect(mine.headers).toContain('connection: close');
    expect(mine.problem).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(mine.problem.detail).toContain('one token may have 4 MiB in flight (body bytes per token)');

    // Another token has its own share, up to the hub's: 2 MiB more fill it, and then any token waits.
    await stall(t, t.tokens.operator, validate, 2 * MIB);
    await vi.waitFor(async () => {
      expect((await t.api('POST', validate, { role: 'viewer', raw: '{}' })).status).toBe(503);
    });
    const hubs = await unreadBody(t, t.tokens.viewer, validate, MIB);
    expect(hubs.status).toBe(503);
    expect(hubs.headers).toContain('retry-after: 2');
    expect(hubs.problem).toMatchObject({ code: 'HUB_BUSY' });
    expect(hubs.problem.detail).toContain('the most it reads at once (6 MiB, body bytes in all)');
    // A request without a body is not held back.
    expect((await t.api('GET', path, { role: 'viewer' })).status).toBe(200);

    admin[0]?.destroy();
    await vi.waitFor(async () => {
      expect((await t.api('POST', path, { role: 'admin', raw: '{}' })).status).toBe(400);
    });
  });
});

describe('connections per token', () => {
  it("refuses a request on a token's connection over its cap and closes it, while another token is served", async () => {
    const t = await hub({ maxConnectionsPerToken: 2 });
    const get = (token: string) =>
      `GET /api/v1/clusters HTTP/1.1\r\nhost: hub\r\nauthorization: Bearer ${token}\r\n\r\n`;
    const first = await connection(t);
    const held = [first, await connection(t)];
    for (const conn of held) {
      conn.socket.write(get(t.tokens.viewer));
      expect((await conn.answer()).status).toBe(200);
    }
    // The same connections serve more of the token's requests.
    first.socket.write(get(t.tokens.viewer));
    expect((await first.answer()).status).toBe(200);

    const extra = await connection(t);
    extra.socket.write(get(t.tokens.viewer));
    const refused = await extra.answer();
    expect(refused.status).toBe(429);
    expect(refused.headers).toContain('connection: close');
    expect(refused.problem).toMatchObject({ code: 'TOO_MANY_CONNECTIONS' });
    expect(refused.problem.detail).toContain('this token holds 2 connections to the hub');
    await vi.waitFor(() => {
      expect(extra.socket.readyState).toBe('closed');
    });

    const other = await connection(t);
    other.socket.write(get(t.tokens.admin));
    expect((await other.answer()).status).toBe(200);

    // A closed connection makes room.
    held[1]?.socket.destroy();
    await vi.waitFor(async () => {
      const again = await connection(t);
      again.socket.write(get(t.tokens.viewer));
      expect((await again.answer()).status).toBe(200);
    });
  });

  it('closes an idle keep-alive connection after 5 s (Fastify keeps one 72 s)', () => {
    expect(hubs[0]?.server.app.server.keepAliveTimeout).toBe(5000);
  });
});

describe('metrics of what the caps count', () => {
  const gauge = (text: string, series: string) =>
    Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);

  it('/metrics shows body bytes in flight, open connections and costly requests in progress, hub-wide', async () => {
    const t = await hub({});
    const scrape = async () => (await t.api('GET', '/metrics', { role: 'admin' })).text;
    const upload = await stall(t, t.tokens.admin, '/api/v1/clusters', 2 * MIB);
    const validation = await stall(t, t.tokens.viewer, '/api/v1/profiles/validate', 64 * 1024);
    await vi.waitFor(async () => {
      const text = await scrape();
      expect(gauge(text, 'strata_request_body_bytes_in_flight')).toBe(2 * MIB + 64 * 1024);
      expect(gauge(text, 'strata_costly_requests_in_progress{operation="validateProfile"}')).toBe(1);
      expect(gauge(text, 'strata_costly_requests_in_progress{operation="testHealthRules"}')).toBe(0);
      expect(gauge(text, 'strata_open_connections{state="with_token"}')).toBeGreaterThanOrEqual(2);
      expect(gauge(text, 'strata_open_connections{state="all"}')).toBeGreaterThanOrEqual(2);
    });
    // No series names a token or an address: one number per state.
    expect(await scrape()).not.toMatch(/strata_open_connections\{[^}]*(token|address)=/);
    upload.destroy();
    validation.destroy();
    await vi.waitFor(async () => {
      const text = await scrape();
      expect(gauge(text, 'strata_request_body_bytes_in_flight')).toBe(0);
      expect(gauge(text, 'strata_costly_requests_in_progress{operation="validateProfile"}')).toBe(0);
    });
  });
});
