// Status text stored before the hub cleaned what it writes (session 9) may hold terminal control (an OSC 52
// clipboard write, a screen clear, a bidi override). It is cleaned where it is read out of the store, once per
// load: the page (from the statuses a hub loads when it starts), a pack's history and runs, the install timeline
// and a stream's replay. A real listening hub on SQLite, started again over what the first one stored.
import { describe, expect, it } from 'vitest';
import { KEPT_TEXT_MAX } from '../shared/kept-text.js';
import { SqliteBackend } from '../store/testing/backends.js';
import { advance, packStatus } from '../store/testing/fixtures.js';
import { startAgentClusterHub } from './testing/agent-cluster-hub.js';
import { startTestHub } from './testing/server.js';

const HOSTILE = 'oom \u001b]52;c;ZXZpbA==\u0007\u001b[2J\u009b1m\u202eevil';
/** Longer than the hub keeps (KEPT_TEXT_MAX), as a hub before session 11 stored a cluster it drove itself. */
const LONG = `exit: ${'x'.repeat(100 * 1024)}`;
/** The JSON text of a control character (`\u001b`), or one of them raw, or a bidi override. */
const CONTROL =
  // eslint-disable-next-line no-control-regex -- looking for control characters is the point
  /\\u00(?:0[0-8bcef]|1[0-9a-f]|7f|[89][0-9a-f])|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/iu;

/** A run of the long text's filler past what the hub keeps. */
const TOO_LONG = new RegExp(`x{${String(KEPT_TEXT_MAX)}}`, 'u');

/** The stream's text up to its `: live` marker, replayed from the first event. */
async function replay(url: string, token: string): Promise<string> {
  const controller = new AbortController();
  const res = await fetch(`${url}/api/v1/events?cluster=c1`, {
    headers: { authorization: `Bearer ${token}`, 'last-event-id': '0' },
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

describe('status text stored raw by an older hub', () => {
  it('reaches no viewer raw nor longer than the hub keeps: page, history, runs, timeline and replay', async () => {
    const first = await startAgentClusterHub();
    try {
      // As an older hub wrote it: through the store, nothing cleaned.
      const started = packStatus('processing', { message: HOSTILE, time: '2026-01-01T00:00:01.000Z' });
      const failed = advance(started, 'failed', '2026-01-01T00:00:02.000Z');
      const raw = {
        ...failed,
        message: HOSTILE,
        reason: `Crash${HOSTILE}`,
        resources: failed.resources.map((r, i) => ({
          ...r,
          evaluation: { ...r.evaluation, message: i === 0 ? LONG : HOSTILE },
        })),
        transitions: failed.transitions.map((t) => ({ ...t, message: `${HOSTILE} ${LONG}` })),
      };
      await first.hub.store.packStatus.record({ cluster: 'c1', pack: 'cfg', status: raw });
      await first.hub.close();

      const second = await startTestHub(new SqliteBackend(), { store: first.hub.opened });
      try {
        const viewer = { role: 'viewer' as const };
        const reads = await Promise.all([
          second.api('GET', '/api/v1/clusters/c1/page', viewer),
          second.api('GET', '/api/v1/clusters/c1/packs/cfg/history', viewer),
          second.api('GET', '/api/v1/clusters/c1/packs/cfg/runs', viewer),
          second.api('GET', '/api/v1/clusters/c1/transitions', viewer),
        ]);
        for (const read of reads) {
          expect(read.status).toBe(200);
          expect(read.text).not.toMatch(CONTROL);
          expect(read.text).not.toMatch(TOO_LONG);
        }
        // The long text is kept cut, as the hub keeps any text, marked where it was cut.
        expect(reads[0].text).toMatch(/exit: x+…\[\d+ more characters cut by the hub\]/u);
        expect(reads[1].text).toMatch(/exit: x+…\[\d+ more characters cut by the hub\]/u);
        // What is left of the text is still there, only the control characters are gone.
        expect(reads[0].text).toContain('oom ]52;c;ZXZpbA==[2J1mevil');
        expect(reads[1].text).toContain('oom ]52;c;ZXZpbA==[2J1mevil');
        const replayed = await replay(second.url, second.tokens.viewer);
        expect(replayed).toContain('oom ]52;c;ZXZpbA==[2J1mevil');
        expect(replayed).not.toMatch(CONTROL);
        expect(replayed).not.toMatch(TOO_LONG);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });
});
