// The hub-wide cap per costly operation (review 9, item 5), and how viewers share it: a cap on requests in
// progress alone would go to whichever viewer token asks fastest, so one refused by the viewers' share counts as
// waiting, and while it does the viewer tokens holding more than an even split are refused their next one. A
// refusal says whose fault it is: 429 when the caller's token is over its share, 503 when the hub is full.
import type { FastifyReply } from 'fastify';
import { describe, expect, it } from 'vitest';
import { HeavyRequests } from './heavy-requests.js';
import { ApiError } from './problem.js';

const reply = () => {
  const headers: Record<string, string> = {};
  const stub = {
    header: (name: string, value: string) => {
      headers[name] = value;
      return stub;
    },
  };
  return { reply: stub as unknown as FastifyReply, headers };
};

describe('HeavyRequests per operation', () => {
  let now = 1_000_000;
  // 4 per token, 6 per operation: viewers together hold 2.
  const heavy = () => new HeavyRequests(4, undefined, 6, () => now);
  const take = (h: HeavyRequests, token: string, privileged = false) => {
    const { reply: r, headers } = reply();
    try {
      return {
        release: h.admit(
          { operationId: 'testHealthRules', key: token, privileged, bundle: false, bodyBytes: 0 },
          r,
        ),
      };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return { refused: error, retryAfter: headers['retry-after'] };
    }
  };

  it("gives a waiting viewer the next place, not the viewer that holds the viewers' share", () => {
    const h = heavy();
    const a1 = take(h, 'viewer-a');
    const a2 = take(h, 'viewer-a');
    // A holds the viewers' whole share: A is the one over its share, B (holding none) finds the hub full.
    expect(take(h, 'viewer-a').refused).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
    const b = take(h, 'viewer-b');
    expect(b.refused).toMatchObject({ status: 503, code: 'HUB_BUSY' });
    expect(b.retryAfter).toBe('2');
    expect(b.refused?.message).toContain(
      "the hub already has 2 testHealthRules requests in progress, the most viewers' tokens may hold together " +
        '(2 of the hub-wide 6 per operation',
    );
    // One of A's ends; A asks again at once, as a loop would: refused while B waits (an even split is 1 each).
    a1.release?.();
    const again = take(h, 'viewer-a');
    expect(again.refused).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
    expect(again.refused?.message).toContain(
      "other viewers' tokens wait for testHealthRules requests: while they do, one viewer token may hold 1 (an " +
        "even split of the viewers' 2), and this one holds 1",
    );
    // Nothing of other tokens' activity (review 13, item 5): no count of theirs, no number of tokens.
    expect(again.refused?.message).not.toMatch(/between \d+ tokens|already has/);
    expect(again.refused?.message).toMatch(/may hold 1 .*this one holds 1/);
    expect(take(h, 'viewer-b').release).toBeDefined();
    // Operators and admins keep their room whatever viewers do.
    expect(take(h, 'operator', true).release).toBeDefined();
    a2.release?.();
  });

  it('forgets a viewer that stopped asking: the share goes back to first come', () => {
    const h = heavy();
    const a1 = take(h, 'viewer-a');
    take(h, 'viewer-a');
    expect(take(h, 'viewer-b').refused).toBeDefined();
    a1.release?.();
    now += 10_000;
    expect(take(h, 'viewer-a').release).toBeDefined();
  });

  it('refuses anyone past the hub-wide cap, naming it, as the hub being full (503)', () => {
    const h = heavy();
    for (const token of ['op-1', 'op-2', 'admin']) {
      take(h, token, true);
      take(h, token, true);
    }
    const refused = take(h, 'op-3', true);
    expect(refused.refused).toMatchObject({ status: 503, code: 'HUB_BUSY' });
    expect(refused.retryAfter).toBe('2');
    expect(refused.refused?.message).toContain(
      'the hub already has 6 testHealthRules requests in progress, the most the hub runs at once (6, hub-wide per operation)',
    );
  });
});

describe('HeavyRequests: profile bundles are one more kind of the same policy', () => {
  const admit = (
    h: HeavyRequests,
    key: string,
    options: { privileged?: boolean; operationId?: string } = {},
  ) => {
    const { reply: r } = reply();
    const request = {
      operationId: options.operationId ?? 'importProfile',
      key,
      privileged: options.privileged ?? false,
      bundle: true,
      bodyBytes: 0,
    };
    try {
      return { release: h.admit(request, r) };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return { refused: error };
    }
  };

  it("refuses a viewer over the viewers' share as the hub being full, and keeps a slot for operators", () => {
    const h = new HeavyRequests();
    admit(h, 'viewer-a');
    admit(h, 'viewer-a');
    expect(admit(h, 'viewer-a').refused).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
    admit(h, 'viewer-b');
    // Viewer B holds 1 of the viewers' 3, as many as an even split would give it: still 503, not 429.
    const full = admit(h, 'viewer-b');
    expect(full.refused).toMatchObject({ status: 503, code: 'HUB_BUSY' });
    expect(full.refused?.message).toBe(
      "the hub is reading 3 profile bundles for viewers' tokens already, the most they may have together (of 4; " +
        'the rest is kept for operators and admins): send this one again in a few seconds',
    );
    expect(admit(h, 'operator', { privileged: true }).release).toBeDefined();
    expect(admit(h, 'admin', { privileged: true }).refused?.message).toBe(
      'the hub is reading 4 profile bundles already, the most it reads at once: send this one again in a few seconds',
    );
  });

  it("takes nothing when a later cap refuses: a bundle sent to a costly route over its token's cap", () => {
    const h = new HeavyRequests(1);
    const first = admit(h, 'viewer-a', { operationId: 'validateProfile' });
    expect(first.release).toBeDefined();
    // The bundle slot is free (1 of 2 held), the costly one is not: refused, and the bundle slot given back.
    for (let i = 0; i < 3; i++)
      expect(admit(h, 'viewer-a', { operationId: 'validateProfile' }).refused).toMatchObject({ status: 429 });
    expect(admit(h, 'viewer-a').release).toBeDefined();
    expect(admit(h, 'viewer-a').refused?.message).toContain(
      'this token has 2 profile bundles being read already',
    );
    first.release?.();
    expect(admit(h, 'viewer-a').release).toBeDefined();
  });
});
