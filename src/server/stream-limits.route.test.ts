// The cap on open event streams, through the real route: a token past its cap gets a 429 problem naming the
// limit and how to raise it (with Retry-After), another token still connects, and a closed stream frees its slot.
// A real listening hub on SQLite with no clusters: no control plane.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { PROBLEM_CONTENT_TYPE, type Problem } from './problem.js';
import { DEFAULT_MAX_STREAMS_PER_TOKEN } from './stream-limits.js';
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

/** Opens one stream with `token`; the controller closes it. */
async function open(token: string) {
  const controller = new AbortController();
  const res = await fetch(`${t.url}/api/v1/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  return {
    res,
    close: () => {
      controller.abort();
    },
  };
}

describe('open event streams per token', () => {
  it(`refuses a token's stream number ${DEFAULT_MAX_STREAMS_PER_TOKEN + 1} with a 429 while another token connects; a closed stream frees its slot`, async () => {
    const streams = [];
    for (let i = 0; i < DEFAULT_MAX_STREAMS_PER_TOKEN; i++) {
      const stream = await open(t.tokens.viewer);
      expect(stream.res.status).toBe(200);
      streams.push(stream);
    }
    const refused = await open(t.tokens.viewer);
    expect(refused.res.status).toBe(429);
    expect(refused.res.headers.get('retry-after')).toBe('30');
    expect(refused.res.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
    const problem = (await refused.res.json()) as Problem;
    expect(problem).toMatchObject({
      status: 429,
      code: 'TOO_MANY_STREAMS',
      detail:
        'this token already has 32 event streams open, the most one token may hold (32): close one, or have ' +
        "the hub's admin raise STRATA_MAX_STREAMS_PER_TOKEN (or --max-streams-per-token)",
    });

    const other = await open(t.tokens.operator);
    expect(other.res.status).toBe(200);
    other.close();

    streams.pop()?.close();
    // The slot comes back when the hub sees the socket close: poll until it has.
    const deadline = Date.now() + 10_000;
    let again = await open(t.tokens.viewer);
    while (again.res.status === 429 && Date.now() < deadline) {
      await again.res.body?.cancel();
      await new Promise((r) => setTimeout(r, 20));
      again = await open(t.tokens.viewer);
    }
    expect(again.res.status).toBe(200);
    again.close();
    for (const stream of streams) stream.close();
  });

  it('gives the slot back when the client hung up before the stream opened', async () => {
    // A slow token lookup (a busy PostgreSQL, say) lets the socket close before the handler takes the slot:
    // the 'close' it would listen for has fired by then. Held here until every client has hung up.
    // A token no request has used yet: the hub keeps a verified token for a second without asking the store.
    const fresh = (await t.store.tokens.create({ role: 'viewer', name: 'hang-up' })).plaintext;
    // Requests with one token share one store lookup (hub/tokens.ts): each is counted as it asks the hub, and
    // the lookup they all wait on is held at the store.
    const tokens = t.store.tokens;
    const verify = tokens.verify.bind(tokens);
    const hubTokens = t.hub.tokens;
    const hubVerify = hubTokens.verify.bind(hubTokens);
    let entered = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    tokens.verify = async (plaintext) => {
      await gate;
      return verify(plaintext);
    };
    hubTokens.verify = (plaintext) => {
      entered++;
      return hubVerify(plaintext);
    };
    const connections = () =>
      new Promise<number>((resolve, reject) => {
        t.server.app.server.getConnections((error, count) => {
          if (error) reject(error);
          else resolve(count);
        });
      });
    const until = async (what: string, done: () => Promise<boolean>) => {
      const deadline = Date.now() + 10_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    try {
      const port = Number(new URL(t.url).port);
      const count = DEFAULT_MAX_STREAMS_PER_TOKEN + 8;
      // Sockets fetch keeps alive from the test before are the hub's connections too.
      const before = await connections();
      const sockets = await Promise.all(
        Array.from(
          { length: count },
          () =>
            new Promise<Socket>((resolve) => {
              const socket = connect(port, '127.0.0.1', () => {
                socket.write(
                  `GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${fresh}\r\n\r\n`,
                );
                resolve(socket);
              });
            }),
        ),
      );
      await until('every request to reach the token lookup', () => Promise.resolve(entered >= count));
      for (const socket of sockets) socket.destroy();
      await until('the hub to see every hang-up', async () => (await connections()) <= before);
    } finally {
      tokens.verify = verify;
      hubTokens.verify = hubVerify;
      release();
    }
    // Every hung-up request now runs its handler; a slot taken for a closed socket must come straight back.
    const deadline = Date.now() + 5_000;
    let again = await open(fresh);
    while (again.res.status === 429 && Date.now() < deadline) {
      await again.res.body?.cancel();
      await new Promise((r) => setTimeout(r, 50));
      again = await open(fresh);
    }
    expect(again.res.status).toBe(200);
    again.close();
  }, 30_000);
});
