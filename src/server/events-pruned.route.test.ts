// A stream resuming from an event id that retention deleted past, through the real route and store: the first
// message is `history.pruned` with the id the stream continues after (a Kubernetes watch's 410 Gone), instead of
// the rows that are left as if nothing were missing. A real listening hub on SQLite: no control plane.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { advance, packStatus } from '../store/testing/fixtures.js';
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

/** The stream's text (of `cluster`'s events) up to its `: live` marker, resuming after `lastEventId`. */
async function resume(lastEventId: number, cluster = 'prod'): Promise<string> {
  const controller = new AbortController();
  const res = await fetch(`${t.url}/api/v1/events?cluster=${cluster}`, {
    headers: { authorization: `Bearer ${t.tokens.viewer}`, 'last-event-id': String(lastEventId) },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  if (!res.body) throw new Error('no body');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!text.includes(': live\n')) {
    const next = await reader.read();
    if (next.done) throw new Error(`the stream ended; it had sent:\n${text}`);
    text += next.value;
  }
  controller.abort();
  return text;
}

const idsOf = (text: string) => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));

describe('GET /api/v1/events after retention deleted events', () => {
  it('tells a client resuming from below the deleted ids, and replays from where nothing is missing', async () => {
    await t.store.clusters.create({ name: 'prod', kubeconfig: 'k' });
    await t.store.clusters.create({ name: 'dev', kubeconfig: 'k' });
    await t.store.packStatus.record({ cluster: 'dev', pack: 'p', status: packStatus('onboarding') });
    const [dev] = (await t.store.eventsSince(0, { cluster: 'dev' })).map((e) => e.id);
    let status = packStatus('onboarding');
    for (let i = 0; i < 6; i++) {
      status = advance(status, i % 2 === 0 ? 'processing' : 'failed', `2026-01-01T00:00:0${String(i)}.000Z`);
      await t.store.packStatus.record({ cluster: 'prod', pack: 'p', status });
    }
    const all = (await t.store.eventsSince(0, { cluster: 'prod' })).map((e) => e.id);
    expect(await t.store.history.prune({ keepPerPack: 2 })).toBeGreaterThan(0);
    const through = await t.store.history.prunedThrough();
    const left = (await t.store.eventsSince(0, { cluster: 'prod' })).map((e) => e.id);
    const from = all.find((id) => !left.includes(id) && id < through) ?? 0;
    expect(from).toBeGreaterThan(0);

    const below = await resume(from);
    const pruned = /^id: (\d+)\nevent: history\.pruned\ndata: (.*)$/m.exec(below);
    expect(Number(pruned?.[1])).toBe(through);
    expect(JSON.parse(pruned?.[2] ?? '{}')).toMatchObject({
      kind: 'history.pruned',
      data: { lastEventId: from },
    });
    expect(idsOf(below)).toEqual([through, ...left.filter((id) => id > through)]);

    // From the highest deleted id on, nothing is missing: no such message.
    const at = await resume(through);
    expect(at).not.toContain('history.pruned');
    expect(idsOf(at)).toEqual(left.filter((id) => id > through));

    // A stream of another cluster, none of whose events were deleted, lost nothing: it is not told.
    expect(dev).toBeLessThan(through);
    const other = await resume(dev ?? 0, 'dev');
    expect(other).not.toContain('history.pruned');
  });
});
