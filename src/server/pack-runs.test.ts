// A pack's runs over HTTP (issue 15, page weight): the page carries each pack's current run and how many it keeps,
// and `…/runs` pages through them all (`?limit&before`, a `next` cursor, an ETag), a viewer's read as the page's.
// A real listening hub on SQLite with an agent cluster that reports a status with many runs: no control plane.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentClusterHub, type AgentClusterHub } from './testing/agent-cluster-hub.js';
import type { TestHub } from './testing/server.js';

let fixture: AgentClusterHub;
let t: TestHub;
let agentToken = '';

beforeAll(async () => {
  fixture = await startAgentClusterHub();
  t = fixture.hub;
  agentToken = fixture.agentToken;
});

afterAll(() => fixture.close());

interface Run {
  kind: string;
  revision: string;
  startTime: string;
  endTime?: string;
  outcome?: string;
}

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
/** Run i started at second 10·i, except that runs 5 and 6 (a retry at once) start in the same millisecond. */
const runAt = (i: number): Run => ({
  kind: i === 0 ? 'install' : 'retry',
  revision: 'r1',
  startTime: at(i === 6 ? 50 : 10 * i),
  endTime: at(10 * i + 1),
  outcome: 'failed',
});
const RUNS = Array.from({ length: 20 }, (_, i) => runAt(i));

let seq = 0;
const report = (runs: Run[]) =>
  fetch(`${t.url}/api/v1/agent/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      stream: '6f1c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f',
      events: [
        {
          seq: ++seq,
          event: {
            type: 'PackStatusChanged',
            pack: 'cfg',
            profile: 'p',
            status: {
              phase: 'failed',
              condition: 'Error',
              reason: 'X',
              message: 'm',
              progress: { ready: 0, total: 1 },
              resources: [],
              revision: 'r1',
              operation: 'install',
              stage: { type: 'Queued' },
              startTime: runs.at(-1)?.startTime,
              endTime: runs.at(-1)?.endTime,
              runs,
              transitions: [],
            },
          },
        },
      ],
    }),
  });

const runsOf = async (query: string) => {
  const res = await t.api('GET', `/api/v1/clusters/c1/packs/cfg/runs${query}`, { role: 'viewer' });
  expect(res.status, res.text).toBe(200);
  return res.json as { runs: Run[]; next?: number };
};

describe("a pack's runs", () => {
  it('are on the page as the current one and a count, and read from …/runs a page at a time, oldest first', async () => {
    const res = await report(RUNS);
    expect(res.status, await res.text()).toBe(200);
    const page = (await t.api('GET', '/api/v1/clusters/c1/page', { role: 'viewer' })).json as {
      packs: Record<string, unknown>[];
    };
    const pack = page.packs.find((p) => p.name === 'cfg');
    expect(pack).toMatchObject({ lastRun: RUNS[19], runCount: 20 });
    expect(pack).not.toHaveProperty('runs');

    const newest = await runsOf('');
    expect(newest.runs).toEqual(RUNS.slice(10));
    expect(newest.next).toBe(Date.parse(RUNS[10]?.startTime ?? ''));
    // Runs 5 and 6 started in the same millisecond: the page that reaches one holds both (one more than asked).
    const middle = await runsOf(`?limit=4&before=${String(newest.next)}`);
    expect(middle.runs).toEqual(RUNS.slice(5, 10));
    const oldest = await runsOf(`?limit=10&before=${String(middle.next)}`);
    expect(oldest.runs).toEqual(RUNS.slice(0, 5));
    expect(oldest.next).toBeUndefined();

    // The install timeline marks each run: its route carries them, as the page no longer does.
    const timeline = (await t.api('GET', '/api/v1/clusters/c1/transitions', { role: 'viewer' })).json as {
      packs: { pack: string; runs?: Run[] }[];
    };
    expect(timeline.packs).toMatchObject([{ pack: 'cfg', runs: RUNS }]);
    // Only the newest page: an older one (?before) does not repeat them.
    const older = (await t.api('GET', '/api/v1/clusters/c1/transitions?before=1000000', { role: 'viewer' }))
      .json as { packs: { pack: string; runs?: Run[] }[] };
    expect(older.packs).toEqual([{ pack: 'cfg', transitions: [] }]);
  });

  it('answers with an ETag, 304 while unchanged, a new tag once a run is added', async () => {
    const path = `${t.url}/api/v1/clusters/c1/packs/cfg/runs?limit=2`;
    const authorization = `Bearer ${t.tokens.viewer}`;
    const first = await fetch(path, { headers: { authorization } });
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"/);
    const again = await fetch(path, { headers: { authorization, 'if-none-match': etag ?? '' } });
    expect(again.status).toBe(304);
    const added = { ...runAt(20), kind: 'upgrade', revision: 'r2' };
    expect((await report([...RUNS.slice(1), added])).status).toBe(200);
    const changed = await fetch(path, { headers: { authorization, 'if-none-match': etag ?? '' } });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as { runs: Run[] }).runs).toEqual([RUNS[19], added]);
  });

  it('names a page size past the cap, a pack that is not there, and needs a token', async () => {
    const big = await t.api('GET', '/api/v1/clusters/c1/packs/cfg/runs?limit=21', { role: 'viewer' });
    expect(big.status).toBe(400);
    expect(big.text).toMatch(/query parameter limit/);
    const missing = await t.api('GET', '/api/v1/clusters/c1/packs/nope/runs', { role: 'viewer' });
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('c1/nope');
    expect((await t.api('GET', '/api/v1/clusters/c1/packs/cfg/runs', { role: 'none' })).status).toBe(401);
  });
});
