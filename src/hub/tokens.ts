// API tokens: the store keeps only their hash; the plaintext is in the create answer and nowhere else. Every
// change is audited in the same transaction as the change.
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

export class Tokens {
  constructor(private readonly store: Store) {}

  /**
   * The token of a request, by its plaintext; undefined when unknown, revoked or malformed. An agent token
   * (agents.ts) is never an API token: it comes back as its agent's caller, with the `agent` role.
   */
  verify(plaintext: string): Promise<TokenRecord | AgentCaller | undefined> {
    if (plaintext.startsWith(AGENT_TOKEN_PREFIX)) return verifyAgentToken(this.store, plaintext);
    return this.store.tokens.verify(plaintext);
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
  }
}
