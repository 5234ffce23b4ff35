// The cap on open event streams, through the real route: a token past its cap gets a 429 problem naming the
// limit and how to raise it (with Retry-After), another token still connects, and a closed stream frees its slot.
// A real listening hub on SQLite with no clusters: no control plane.
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
});
