// How many live event streams the hub holds open, per token and in all. A stream is a socket and a buffer held
// for as long as the client likes, so without a cap one viewer token could open streams until the hub runs out
// of file descriptors or memory. A stream over a cap is refused before it opens (429 with Retry-After); a
// closed stream gives its slot back.

/** STRATA_MAX_STREAMS_PER_TOKEN / --max-streams-per-token: a browser tab holds one, `strata events` one more. */
export const DEFAULT_MAX_STREAMS_PER_TOKEN = 32;
/** STRATA_MAX_STREAMS / --max-streams: well under a default soft limit of file descriptors raised for a hub. */
export const DEFAULT_MAX_STREAMS = 20_000;

export interface StreamLimitsConfig {
  readonly perToken: number;
  readonly total: number;
}

export const StreamLimit = { PerToken: 'per-token', Total: 'total' } as const;
export type StreamLimit = (typeof StreamLimit)[keyof typeof StreamLimit];

export type StreamSlot =
  | { readonly ok: true; readonly release: () => void }
  | { readonly ok: false; readonly limit: StreamLimit; readonly message: string };

const raise: Record<StreamLimit, string> = {
  'per-token': 'STRATA_MAX_STREAMS_PER_TOKEN (or --max-streams-per-token)',
  total: 'STRATA_MAX_STREAMS (or --max-streams)',
};

export class StreamLimits {
  private readonly perKey = new Map<string, number>();
  private count = 0;

  constructor(
    readonly limits: StreamLimitsConfig = {
      perToken: DEFAULT_MAX_STREAMS_PER_TOKEN,
      total: DEFAULT_MAX_STREAMS,
    },
  ) {}

  /** Streams open now, in all or for one token. */
  open(key?: string): number {
    return key === undefined ? this.count : (this.perKey.get(key) ?? 0);
  }

  /** A slot for one more stream of `key` (a token id), or which limit refuses it; release once it closes. */
  acquire(key: string): StreamSlot {
    const mine = this.perKey.get(key) ?? 0;
    if (mine >= this.limits.perToken) {
      return {
        ok: false,
        limit: StreamLimit.PerToken,
        message:
          `this token already has ${mine} event streams open, the most one token may hold ` +
          `(${this.limits.perToken}): close one, or have the hub's admin raise ${raise['per-token']}`,
      };
    }
    if (this.count >= this.limits.total) {
      return {
        ok: false,
        limit: StreamLimit.Total,
        message:
          `the hub already has ${this.count} event streams open, its limit (${this.limits.total}): ` +
          `try again later, or have the hub's admin raise ${raise.total}`,
      };
    }
    this.perKey.set(key, mine + 1);
    this.count++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.count--;
        const left = (this.perKey.get(key) ?? 1) - 1;
        if (left === 0) this.perKey.delete(key);
        else this.perKey.set(key, left);
      },
    };
  }
}
