import { describe, expect, it } from 'vitest';
import { StreamLimit, StreamLimits } from './stream-limits.js';

describe('StreamLimits', () => {
  it("refuses a token's stream past its cap, naming the cap and how to raise it, while another token still gets one", () => {
    const limits = new StreamLimits({ perToken: 2, total: 10 });
    expect(limits.acquire('a').ok).toBe(true);
    expect(limits.acquire('a').ok).toBe(true);
    const third = limits.acquire('a');
    expect(third).toEqual({
      ok: false,
      limit: StreamLimit.PerToken,
      message:
        'this token already has 2 event streams open, the most one token may hold (2): close one, or have ' +
        "the hub's admin raise STRATA_MAX_STREAMS_PER_TOKEN (or --max-streams-per-token)",
    });
    expect(limits.acquire('b').ok).toBe(true);
    expect(limits.open()).toBe(3);
  });

  it('frees a slot when a stream closes, once however often it is released', () => {
    const limits = new StreamLimits({ perToken: 1, total: 10 });
    const first = limits.acquire('a');
    if (!first.ok) throw new Error(first.message);
    first.release();
    first.release();
    expect(limits.open()).toBe(0);
    expect(limits.open('a')).toBe(0);
    const again = limits.acquire('a');
    expect(again.ok).toBe(true);
    expect(limits.acquire('b').ok).toBe(true);
    expect(limits.open()).toBe(2);
  });

  it('refuses any stream once the hub-wide total is reached', () => {
    const limits = new StreamLimits({ perToken: 5, total: 2 });
    expect(limits.acquire('a').ok).toBe(true);
    expect(limits.acquire('b').ok).toBe(true);
    const refused = limits.acquire('c');
    expect(refused.ok ? '' : refused.message).toBe(
      "the hub already has 2 event streams open, its limit (2): try again later, or have the hub's admin raise " +
        'STRATA_MAX_STREAMS (or --max-streams)',
    );
    expect(refused.ok ? undefined : refused.limit).toBe(StreamLimit.Total);
  });
});
