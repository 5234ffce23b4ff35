// Review 11, item 4, through the real hub: closing a validation's request aborts the signal its check gets,
// so the checker drops it (upload-checker.test.ts shows what the checker then does). A real listening hub on
// SQLite with no clusters; the check is held by a stand-in until the request is closed.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
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

describe('a validation whose request is closed', () => {
  it('aborts the signal its check was given', async () => {
    const signals: AbortSignal[] = [];
    const validate = vi.spyOn(t.hub, 'validateProfile').mockImplementation(
      (_input, options) =>
        new Promise((resolve) => {
          if (options?.signal !== undefined) signals.push(options.signal);
          options?.signal?.addEventListener('abort', () => {
            resolve([]);
          });
        }),
    );
    try {
      const closed = new AbortController();
      const sent = fetch(`${t.url}/api/v1/profiles/validate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.tokens.viewer}`, 'content-type': 'application/yaml' },
        body: 'apiVersion: strata.dev/v1alpha1\n',
        signal: closed.signal,
      }).catch((error: unknown) => error);
      await vi.waitFor(() => {
        expect(signals).toHaveLength(1);
      });
      expect(signals[0]?.aborted).toBe(false);
      closed.abort();
      expect(await sent).toBeInstanceOf(Error);
      await vi.waitFor(() => {
        expect(signals[0]?.aborted).toBe(true);
      });
    } finally {
      validate.mockRestore();
    }
  });
});
