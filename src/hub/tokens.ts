// API tokens: the store keeps only their hash; the plaintext is in the create answer and nowhere else. Every
// change is audited in the same transaction as the change.
//
// Every API request verifies its token. A token verified in the last VERIFIED_FOR_MS is taken on trust (by its
// hash, in memory) instead of asking the store again: the store's lookup cost ~0.13 ms of a 0.4 ms page read
// (issue 15, fast reads). Revoking through this hub forgets it at once, a verification still in flight when a
// revoke commits is not kept, and a token revoked through another replica stops working here within
// VERIFIED_FOR_MS, as that replica's open streams of it end (sse.ts checks them every second). Requests that
// arrive together with a token not (or no longer) kept share one lookup: 20 readers polling a page all find
// the token expired at once, and asked the store 20 times (on PostgreSQL a queue in the pool, the slowest
// requests of a 20-reader bench). Agent tokens are always asked of the store (they are rotated and revoked by
// other paths).
import { hash } from 'node:crypto';
import {
  AGENT_TOKEN_PREFIX,
  TokenRole,
  type CreatedToken,
  type Store,
  type TokenRecord,
} from '../store/index.js';
import { verifyAgentToken, type AgentCaller } from './agents.js';
import type { Actor } from './config.js';
import { HubError, HubErrorCode } from './errors.js';

/** How long a verified API token is taken on trust: the bound on a revocation made through another replica. */
export const VERIFIED_FOR_MS = 1000;
/** Verified tokens kept at most; past it, expired ones are dropped, and all of them if that is not enough. */
const MAX_VERIFIED = 1000;

export class Tokens {
  /** Verified API tokens by the SHA-256 of their plaintext (no plaintext is kept), until a time (ms). */
  private readonly verified = new Map<string, { readonly token: TokenRecord; readonly until: number }>();
  /** Lookups in flight by the same key; forgotten by a revoke, so no later request joins one begun before it. */
  private readonly lookups = new Map<string, Promise<TokenRecord | undefined>>();
  /** Bumped by every revoke: a verification that started before one is not kept. */
  private revocations = 0;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    options: { now?: () => number } = {},
  ) {
    // A monotonic clock: a wall clock stepped back (NTP, a resumed VM) would stretch the trust.
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * The token of a request, by its plaintext; undefined when unknown, revoked or malformed. An agent token
   * (agents.ts) is never an API token: it comes back as its agent's caller, with the `agent` role.
   */
  verify(plaintext: string): Promise<TokenRecord | AgentCaller | undefined> {
    if (plaintext.startsWith(AGENT_TOKEN_PREFIX)) return verifyAgentToken(this.store, plaintext);
    // One-shot: a Hash object per request cost more than the Map lookup it keys.
    const key = hash('sha256', plaintext, 'base64');
    const kept = this.keptBy(key);
    if (kept !== undefined) return Promise.resolve(kept);
    const inFlight = this.lookups.get(key);
    if (inFlight !== undefined) return inFlight;
    const revocations = this.revocations;
    const lookup = this.store.tokens.verify(plaintext).then(
      (token) => {
        if (this.lookups.get(key) === lookup) this.lookups.delete(key);
        if (token === undefined || revocations !== this.revocations) this.verified.delete(key);
        else this.keep(key, token);
        return token;
      },
      (error: unknown) => {
        if (this.lookups.get(key) === lookup) this.lookups.delete(key);
        throw error;
      },
    );
    this.lookups.set(key, lookup);
    return lookup;
  }

  /**
   * The API token of this plaintext while it is taken on trust (verified in the last VERIFIED_FOR_MS, not
   * revoked here since), without a promise: how nearly every request is authenticated. Undefined means "ask
   * verify()", not "invalid".
   */
  kept(plaintext: string): TokenRecord | undefined {
    if (plaintext.startsWith(AGENT_TOKEN_PREFIX)) return undefined;
    return this.keptBy(hash('sha256', plaintext, 'base64'));
  }

  private keptBy(key: string): TokenRecord | undefined {
    const kept = this.verified.get(key);
    return kept !== undefined && kept.until > this.now() ? kept.token : undefined;
  }

  private keep(key: string, token: TokenRecord): void {
    const now = this.now();
    if (this.verified.size >= MAX_VERIFIED) {
      for (const [k, v] of this.verified) if (v.until <= now) this.verified.delete(k);
      if (this.verified.size >= MAX_VERIFIED) this.verified.clear();
    }
    this.verified.set(key, { token, until: now + VERIFIED_FOR_MS });
  }

  /** Which of these token ids still exist (open streams of a revoked token end). */
  existing(ids: readonly string[]): Promise<Set<string>> {
    return this.store.tokens.existing(ids);
  }

  /** The token a request is made with; TOKEN_NOT_FOUND when it was revoked meanwhile. */
  async whoami(actor: Actor): Promise<TokenRecord> {
    const token = actor.tokenId === undefined ? undefined : await this.store.tokens.get(actor.tokenId);
    if (!token) throw new HubError(HubErrorCode.TokenNotFound, 'the token of this request no longer exists');
    return token;
  }

  create(input: { role: TokenRole; name: string }, actor: Actor): Promise<CreatedToken> {
    return this.store.transaction(async (tx) => {
      const made = await tx.tokens.create(input);
      await tx.audit.record({
        actor,
        action: 'token.create',
        target: `token/${made.token.id}`,
        details: { name: input.name, role: input.role },
      });
      return made;
    });
  }

  list(): Promise<TokenRecord[]> {
    return this.store.tokens.list();
  }

  /** Revokes a token; never the last admin token (LAST_ADMIN_TOKEN), which would lock every admin out. */
  async revoke(id: string, actor: Actor): Promise<void> {
    await this.store.transaction(async (tx) => {
      const token = await tx.tokens.get(id);
      // Counted under lock in this transaction, so two admins revoking each other cannot both pass.
      if (token?.role === TokenRole.Admin && (await tx.tokens.lockAdmins()).length <= 1) {
        throw new HubError(
          HubErrorCode.LastAdminToken,
          `token "${token.name}" is the last admin token: revoking it would lock every admin out of the ` +
            'hub; create another admin token first (strata token create --role admin)',
        );
      }
      await tx.tokens.delete(id);
      await tx.audit.record({
        actor,
        action: 'token.revoke',
        target: `token/${id}`,
        ...(token === undefined ? {} : { details: { name: token.name, role: token.role } }),
      });
    });
    this.revocations++;
    this.lookups.clear();
    for (const [key, kept] of this.verified) if (kept.token.id === id) this.verified.delete(key);
  }
}
