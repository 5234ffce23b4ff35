// authorize() and its promise-free form for a token taken on trust (authorizeKept): the same answers, 401 and
// 403 alike, so the fast path of a page read (issue 15) decides nothing authorize() would decide otherwise.
import { describe, expect, it } from 'vitest';
import type { TokenRecord } from '../hub/index.js';
import { ApiError } from './problem.js';
import { authorize, authorizeKept, type Caller } from './auth.js';
import { Role } from './route.js';

const viewer = { id: 't1', name: 'reader', role: Role.Viewer } as TokenRecord;

/** Tokens that know `viewer` as "good", and keep it only when `kept`; counts the verify() calls. */
function lookup(kept: boolean) {
  const calls = { verify: 0 };
  return {
    calls,
    verify: (plaintext: string): Promise<Caller | undefined> => {
      calls.verify++;
      return Promise.resolve(plaintext === 'good' ? viewer : undefined);
    },
    kept: (plaintext: string): Caller | undefined => (kept && plaintext === 'good' ? viewer : undefined),
  };
}

async function codeOf(run: () => unknown): Promise<string | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    return error instanceof ApiError ? `${String(error.status)} ${error.code}` : String(error);
  }
}

describe('authorizeKept', () => {
  it('answers a kept token without verify(), and leaves every other token to authorize()', () => {
    const kept = lookup(true);
    expect(authorizeKept(kept, 'Bearer good', Role.Viewer)).toEqual({ caller: viewer });
    expect(kept.calls.verify).toBe(0);
    expect(authorizeKept(lookup(false), 'Bearer good', Role.Viewer)).toBeUndefined();
    expect(authorizeKept(kept, 'Bearer unknown', Role.Viewer)).toBeUndefined();
    expect(authorizeKept(kept, 'Basic Zm9v', Role.Viewer)).toBeUndefined();
    expect(authorizeKept(kept, undefined, Role.Public)).toEqual({ caller: undefined });
  });

  it('refuses as authorize() does: 401 without a header, 403 for a kept token short of the role', async () => {
    for (const [authorization, role, expected] of [
      [undefined, Role.Viewer, '401 UNAUTHENTICATED'],
      ['', Role.Viewer, '401 UNAUTHENTICATED'],
      ['Bearer good', Role.Operator, '403 FORBIDDEN'],
      ['Bearer good', Role.Agent, '403 FORBIDDEN'],
    ] as const) {
      expect(await codeOf(() => authorizeKept(lookup(true), authorization, role))).toBe(expected);
      expect(await codeOf(() => authorize(lookup(false), authorization, role))).toBe(expected);
    }
    expect(await codeOf(() => authorize(lookup(false), 'Bearer unknown', Role.Viewer))).toBe(
      '401 UNAUTHENTICATED',
    );
  });
});
