// What a stolen agent token can store (security review 10, item 3): it pushed PackStatusChanged events with a
// 900 KiB unknown field, each kept, about 9 MiB/s of database. Now an unknown field is refused (400 naming it),
// and the bytes an agent pushes are limited (a burst, then a steady rate: 429 and a Retry-After past it).
// A real listening hub on SQLite, no control plane: an agent cluster needs none.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStatusesSchema } from '../hub/agents-protocol.js';
import { AGENT_PUSH_LIMITS } from '../hub/agents-runner.js';
import { SqliteBackend } from '../store/testing/backends.js';
import { advance, packStatus } from '../store/testing/fixtures.js';
import type { PackStatus } from '../status/index.js';
import { startTestHub, type TestHub } from './testing/server.js';

const PROFILE = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata: { name: web }',
  'spec:',
  '  version: 1.0.0',
  '  type: add-on',
  '  packs:',
  '    - name: site',
  '      layer: addon',
  '      version: 1.0.0',
  '      type: manifest',
  '      manifests:',
  '        - { apiVersion: v1, kind: ConfigMap, metadata: { name: site, namespace: default }, data: { a: "1" } }',
  '',
].join('\n');

const backend = new SqliteBackend();
let t: TestHub;
let token: string;

beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend);
  const made = await t.api('POST', '/api/v1/agent-clusters', { body: { name: 'edge' } });
  expect(made.status, made.text).toBe(201);
  ({ token } = made.json as { token: string });
  expect((await t.api('POST', '/api/v1/profiles', { body: { yaml: PROFILE } })).status).toBe(201);
  const attached = await t.api('POST', '/api/v1/clusters/edge/attachments', { body: { profile: 'web' } });
  expect(attached.status, attached.text).toBe(201);
});
afterAll(async () => {
  await t.close();
  await backend.teardown();
});

const push = (stream: string, seq: number, status: unknown, as: string = token) =>
  fetch(`${t.url}/api/v1/agent/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      stream,
      events: [{ seq, event: { type: 'PackStatusChanged', pack: 'site', profile: 'web', status } }],
    }),
  });

describe('agent pushes', () => {
  it('refuses a status with a field the hub does not know, naming it, and stores nothing of it', async () => {
    const status = packStatus('processing');
    const [first] = status.resources;
    const res = await push(randomUUID(), 1, {
      ...status,
      resources: [{ ...first, junk: 'A'.repeat(900 * 1024) }],
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { detail: string };
    expect(problem.detail).toContain('events.0.event.status.resources.0');
    expect(problem.detail).toContain('Unrecognized key: "junk"');
    const page = await t.api('GET', '/api/v1/clusters/edge/page', { role: 'viewer' });
    expect(page.text).not.toContain('AAAAAAAAAA');
  });

  it(`takes a burst of ${AGENT_PUSH_LIMITS.burstBytes / 1024 / 1024} MiB of statuses, then answers 429 with a Retry-After`, async () => {
    const stream = randomUUID();
    let status: PackStatus = packStatus('onboarding');
    const answers: number[] = [];
    let refused: Response | undefined;
    // Each status carries 900 KiB in a field the hub knows (its message): the burst takes about nine.
    for (let seq = 1; seq <= 20 && refused === undefined; seq++) {
      status = advance(
        status,
        seq % 2 ? 'processing' : 'success',
        `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`,
      );
      const res = await push(stream, seq, { ...status, message: String(seq % 10).repeat(900 * 1024) });
      answers.push(res.status);
      if (res.status === 200) await res.body?.cancel();
      else refused = res;
    }
    // As many as fit in the burst, and no more.
    const taken = answers.filter((s) => s === 200).length;
    expect(taken).toBeGreaterThanOrEqual(Math.floor(AGENT_PUSH_LIMITS.burstBytes / (920 * 1024)));
    expect(taken * 900 * 1024).toBeLessThanOrEqual(AGENT_PUSH_LIMITS.burstBytes);
    expect(refused?.status).toBe(429);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused?.json()).toMatchObject({ code: 'AGENT_PUSHES_TOO_FAST' });
  });

  // Security review 11, item 6: the allowance counted characters, so 3-byte characters got 3 times as much in.
  it('counts the bytes of what an agent pushes, not its characters', async () => {
    const made = await t.api('POST', '/api/v1/agent-clusters', { body: { name: 'edge-wide' } });
    expect(made.status, made.text).toBe(201);
    const { token: wide } = made.json as { token: string };
    const attached = await t.api('POST', '/api/v1/clusters/edge-wide/attachments', {
      body: { profile: 'web' },
    });
    expect(attached.status, attached.text).toBe(201);
    const stream = randomUUID();
    let status: PackStatus = packStatus('onboarding');
    let taken = 0;
    let refused: Response | undefined;
    // Each message is 300 Ki characters of 3 bytes: 900 KiB, as in the test above, a third of it in characters.
    for (let seq = 1; seq <= 40 && refused === undefined; seq++) {
      status = advance(
        status,
        seq % 2 ? 'processing' : 'success',
        `2026-01-01T00:01:${String(seq).padStart(2, '0')}.000Z`,
      );
      const res = await push(stream, seq, { ...status, message: '\u6f22'.repeat(300 * 1024) }, wide);
      if (res.status === 200) {
        taken += 1;
        await res.body?.cancel();
      } else refused = res;
    }
    expect(refused?.status).toBe(429);
    expect(taken * 900 * 1024).toBeLessThanOrEqual(AGENT_PUSH_LIMITS.burstBytes);
  });

  it('gives the statuses it stored back in the strict wire shape (no event ids in their transitions)', async () => {
    const res = await fetch(`${t.url}/api/v1/agent/statuses`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const parsed = AgentStatusesSchema.safeParse(JSON.parse(text));
    expect(parsed.success, parsed.error?.message).toBe(true);
    expect(parsed.data?.packs.map((p) => p.status.transitions.length)).not.toEqual([0]);
  });
});
