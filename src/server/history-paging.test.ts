// A pack's history over HTTP, as a hostile agent could fill it (security review 8, item 5): a status adds at
// most 16 transitions with their texts cut, and the history routes answer a page with a cursor to older ones.
// A real listening hub on SQLite with an agent cluster: no control plane.
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

interface Transition {
  time: string;
  from: string;
  to: string;
  message: string;
}

const transition = (i: number, message = `step ${i}`): Transition & Record<string, string> => ({
  time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  from: i === 0 ? 'onboarding' : i % 2 === 1 ? 'processing' : 'failed',
  to: i % 2 === 0 ? 'processing' : 'failed',
  condition: 'Installing',
  reason: 'Step',
  message,
});

let seq = 0;
const push = (transitions: Transition[]) =>
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
              phase: transitions.at(-1)?.to,
              condition: 'Installing',
              reason: 'X',
              message: 'm',
              progress: { ready: 0, total: 0 },
              resources: [],
              revision: 'r1',
              operation: 'install',
              stage: { type: 'Queued' },
              transitions,
            },
          },
        },
      ],
    }),
  });

describe('a pack history an agent fills', () => {
  it('stores 16 transitions of a status that adds 40, texts cut to 4 KiB, and pages them with next', async () => {
    const many = Array.from({ length: 40 }, (_, i) =>
      transition(i, i === 39 ? 'z'.repeat(900_000) : undefined),
    );
    const res = await push(many);
    expect(res.status, await res.text()).toBe(200);

    const first = await t.api('GET', '/api/v1/clusters/c1/packs/cfg/history?limit=10', { role: 'viewer' });
    expect(first.status, first.text).toBe(200);
    const page = first.json as { transitions: Transition[]; next?: number };
    expect(page.transitions.map((x) => x.time.slice(17, 19))).toEqual([
      '30',
      '31',
      '32',
      '33',
      '34',
      '35',
      '36',
      '37',
      '38',
      '39',
    ]);
    expect(page.transitions.at(-1)?.message).toHaveLength(4096);
    expect(page.next).toBeTypeOf('number');

    const older = (
      await t.api('GET', `/api/v1/clusters/c1/packs/cfg/history?limit=10&before=${String(page.next)}`, {
        role: 'viewer',
      })
    ).json as { transitions: Transition[]; next?: number };
    expect(older.transitions.map((x) => x.time.slice(17, 19))).toEqual(['24', '25', '26', '27', '28', '29']);
    expect(older.next).toBeUndefined();
    // A cursor past what a database integer holds is a 400, not a database error.
    const huge = await t.api('GET', '/api/v1/clusters/c1/packs/cfg/history?before=99999999999999999999', {
      role: 'viewer',
    });
    expect(huge.status).toBe(400);

    const timeline = (await t.api('GET', '/api/v1/clusters/c1/transitions?limit=3', { role: 'viewer' }))
      .json as {
      packs: { pack: string; transitions: Transition[] }[];
      next?: number;
    };
    expect(timeline.packs.map((p) => [p.pack, p.transitions.length])).toEqual([['cfg', 3]]);
    expect(timeline.next).toBeTypeOf('number');
  });

  it('refuses a page size past the cap, naming the parameter', async () => {
    const res = await t.api('GET', '/api/v1/clusters/c1/packs/cfg/history?limit=5000', { role: 'viewer' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/query parameter limit/);
  });
});
