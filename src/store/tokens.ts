// API tokens. The plaintext is 32 random bytes shown once at creation; the store keeps its SHA-256.
//
// Why SHA-256 and not scrypt/argon2: a slow hash protects guessable secrets (passwords) against offline
// guessing. A token with 256 bits of randomness cannot be guessed however fast the hash is, so a slow hash
// would buy nothing and cost tens of milliseconds of CPU on every API request. A plain digest also lets
// `verify` find the token by an indexed lookup instead of trying every stored hash.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { nowIso, type StoreContext } from './context.js';
import { constraintKind } from './db-errors.js';
import { Backend } from './url.js';
import { StoreError, StoreErrorCode, notFound } from './errors.js';
import type { Row } from './schema.js';

export const TokenRole = { Viewer: 'viewer', Operator: 'operator', Admin: 'admin' } as const;
export type TokenRole = (typeof TokenRole)[keyof typeof TokenRole];

export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: TokenRole;
  readonly createdAt: string;
  readonly lastUsedAt?: string;
}

export interface CreateTokenInput {
  readonly role: TokenRole;
  /** Unique, so `strata token revoke --name ci` is unambiguous. */
  readonly name: string;
}

export interface CreatedToken {
  readonly token: TokenRecord;
  /** The secret, returned this once and never stored. */
  readonly plaintext: string;
}

/** Recognisable in logs and by secret scanners; the rest is base64url of 32 random bytes. */
export const TOKEN_PREFIX = 'strata_';

/**
 * `lastUsedAt` is refreshed at most this often: every API request verifies a token, and a write per request
 * would compete with the engine's status writes on SQLite's single writer.
 */
const LAST_USED_RESOLUTION_MS = 60_000;

const digest = (plaintext: string) => createHash('sha256').update(plaintext, 'utf8').digest('hex');

const toRecord = (row: Omit<Row<'tokens'>, 'hash'>): TokenRecord => ({
  id: row.id,
  name: row.name,
  role: row.role as TokenRole,
  createdAt: row.created_at,
  ...(row.last_used_at === null ? {} : { lastUsedAt: row.last_used_at }),
});

const PUBLIC_COLUMNS = ['id', 'name', 'role', 'created_at', 'last_used_at'] as const;

export class TokensRepository {
  constructor(private readonly ctx: StoreContext) {}

  async create(input: CreateTokenInput): Promise<CreatedToken> {
    if (!Object.values<string>(TokenRole).includes(input.role)) {
      throw new StoreError(
        StoreErrorCode.InvalidInput,
        `invalid role ${JSON.stringify(input.role)}: use viewer, operator or admin`,
        {
          entity: 'token',
        },
      );
    }
    if (input.name.trim() === '')
      throw new StoreError(StoreErrorCode.InvalidInput, 'a token needs a name', { entity: 'token' });
    const plaintext = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const row: Row<'tokens'> = {
      id: randomUUID(),
      name: input.name,
      role: input.role,
      hash: digest(plaintext),
      created_at: nowIso(this.ctx),
      last_used_at: null,
    };
    try {
      await this.ctx.db.insertInto('tokens').values(row).execute();
    } catch (error) {
      // No pre-check here: the unique index is the check (the name is all that can collide).
      if (constraintKind(error) === 'unique') {
        throw new StoreError(
          StoreErrorCode.TokenExists,
          `a token named ${JSON.stringify(input.name)} already exists`,
          {
            entity: 'token',
            cause: error,
          },
        );
      }
      throw error;
    }
    return { token: toRecord(row), plaintext };
  }

  /** The token's record when `plaintext` is a live token, else undefined. Refreshes `lastUsedAt`. */
  async verify(plaintext: string): Promise<TokenRecord | undefined> {
    if (!plaintext.startsWith(TOKEN_PREFIX)) return undefined;
    const row = await this.ctx.db
      .selectFrom('tokens')
      .select(PUBLIC_COLUMNS)
      .where('hash', '=', digest(plaintext))
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const now = this.ctx.now();
    const last = row.last_used_at === null ? undefined : Date.parse(row.last_used_at);
    if (last === undefined || now.getTime() - last >= LAST_USED_RESOLUTION_MS) {
      const time = now.toISOString();
      await this.ctx.db.updateTable('tokens').set({ last_used_at: time }).where('id', '=', row.id).execute();
      return toRecord({ ...row, last_used_at: time });
    }
    return toRecord(row);
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const row = await this.ctx.db
      .selectFrom('tokens')
      .select(PUBLIC_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async list(): Promise<TokenRecord[]> {
    const rows = await this.ctx.db.selectFrom('tokens').select(PUBLIC_COLUMNS).orderBy('name').execute();
    return rows.map(toRecord);
  }

  /** How many tokens exist (with a role: of that role); the hub creates the first admin token when 0. */
  async count(role?: TokenRole): Promise<number> {
    let query = this.ctx.db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n'));
    if (role !== undefined) query = query.where('role', '=', role);
    const row = await query.executeTakeFirstOrThrow();
    return row.n;
  }

  /** Of `ids`, the ones that are still tokens (not revoked): open streams re-check theirs with it. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.ctx.db.selectFrom('tokens').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((row) => row.id));
  }

  /**
   * The ids of every admin token, locked until the transaction ends (PostgreSQL `FOR UPDATE`): two admins
   * revoking each other at the same moment then run one after the other, so a "not the last admin" check
   * made with this cannot pass in both. SQLite transactions already hold the only write lock from BEGIN.
   */
  async lockAdmins(): Promise<string[]> {
    const query = this.ctx.db.selectFrom('tokens').select('id').where('role', '=', TokenRole.Admin);
    const rows = await (this.ctx.backend === Backend.Postgres ? query.forUpdate() : query).execute();
    return rows.map((row) => row.id);
  }

  /** Revokes a token: it stops working at once. */
  async delete(id: string): Promise<void> {
    const result = await this.ctx.db.deleteFrom('tokens').where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw notFound('token', id);
  }
}
