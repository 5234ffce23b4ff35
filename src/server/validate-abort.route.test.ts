// Review 11, item 4, through the real hub: closing a validation's request aborts the signal its check gets,
// so the checker drops it (upload-checker.test.ts shows what the checker then does); the same for a health-rule
// test and a pack's values, which take the same threads (session 11). A real listening hub on SQLite with no
// clusters; the work is held by a stand-in until the request is closed.
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

/** Sends a request, waits until the hub's work has its signal, closes the request: the signal is aborted. */
async function closedWhileWorking(
  path: string,
  init: { readonly method: string; readonly headers?: Record<string, string>; readonly body?: string },
  signals: readonly AbortSignal[],
): Promise<void> {
  const closed = new AbortController();
  const sent = fetch(`${t.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${t.tokens.viewer}`, ...init.headers },
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
}

/** A stand-in that keeps the signal it is given and answers only once it is aborted. */
function heldUntilAborted<T>(answer: T, signals: AbortSignal[]) {
  return (signal?: AbortSignal) =>
    new Promise<T>((resolve) => {
      if (signal !== undefined) signals.push(signal);
      signal?.addEventListener('abort', () => {
        resolve(answer);
      });
    });
}

describe('a health-rule test whose request is closed', () => {
  it('aborts the signal its test was given', async () => {
    const signals: AbortSignal[] = [];
    const held = heldUntilAborted({ state: 'Ready' as const, reason: 'r', message: 'm', rule: 'x' }, signals);
    const test = vi
      .spyOn(t.hub.healthRules, 'test')
      .mockImplementation((_input, _owner, signal) => held(signal) as never);
    try {
      await closedWhileWorking(
        '/api/v1/health-rules/test',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
          }),
        },
        signals,
      );
    } finally {
      test.mockRestore();
    }
  });
});

describe("a pack's values whose request is closed", () => {
  it('aborts the signal their writing was given', async () => {
    const signals: AbortSignal[] = [];
    const held = heldUntilAborted({}, signals);
    const values = vi
      .spyOn(t.hub, 'packValues')
      .mockImplementation((_cluster, _pack, _owner, signal) => held(signal) as never);
    try {
      await closedWhileWorking('/api/v1/clusters/c1/packs/web/values', { method: 'GET' }, signals);
    } finally {
      values.mockRestore();
    }
  });
});
