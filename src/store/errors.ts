/**
 * Every failure the store reports, with a stable code the API turns into an `application/problem+json` type
 * (style.md rule 7). Callers switch on `code`, never on messages.
 */
export const StoreErrorCode = {
  /** The URL is neither a SQLite path nor postgres://. */
  UnsupportedDatabaseUrl: 'UNSUPPORTED_DATABASE_URL',
  /** The database could not be reached or opened. */
  DatabaseUnavailable: 'DATABASE_UNAVAILABLE',
  /** This process already has a store open on that SQLite file (see dialect.ts). */
  DatabaseInUse: 'DATABASE_IN_USE',
  MigrationFailed: 'MIGRATION_FAILED',
  /** The store was used after close(). */
  Closed: 'STORE_CLOSED',
  InvalidInput: 'INVALID_INPUT',
  NotFound: 'NOT_FOUND',
  ClusterExists: 'CLUSTER_EXISTS',
  /** The same profile name+version was published before with different content. */
  ProfileVersionConflict: 'PROFILE_VERSION_CONFLICT',
  /** A draft write to a version that is already published (published versions are immutable). */
  ProfileVersionPublished: 'PROFILE_VERSION_PUBLISHED',
  /** A profile version cannot be deleted while a cluster is attached to it. */
  ProfileInUse: 'PROFILE_IN_USE',
  AttachmentExists: 'ATTACHMENT_EXISTS',
  TokenExists: 'TOKEN_EXISTS',
  /** STRATA_SECRET_KEY (or the key file) is not 32 bytes of base64, or the key file is readable by others. */
  SecretKeyInvalid: 'SECRET_KEY_INVALID',
  /** The data was encrypted with another key than the one the store was opened with. */
  SecretKeyMismatch: 'SECRET_KEY_MISMATCH',
  /** Right key, but the ciphertext does not authenticate: it was altered. */
  SecretCorrupt: 'SECRET_CORRUPT',
  /** A write fenced by a cluster lease whose epoch is no longer the lease's: another replica took over. */
  LeaseLost: 'LEASE_LOST',
  /** A database constraint we did not expect to trip (a bug or a concurrent writer). */
  Constraint: 'CONSTRAINT_VIOLATION',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** What a NOT_FOUND (or *_EXISTS) is about, so the API can say "cluster 'x' not found". */
export type StoreEntity = 'cluster' | 'profile' | 'attachment' | 'token' | 'pack';

export interface StoreErrorOptions {
  readonly cause?: unknown;
  readonly entity?: StoreEntity;
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly entity: StoreEntity | undefined;

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options: StoreErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.entity = options.entity;
  }
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}

export function notFound(entity: StoreEntity, what: string): StoreError {
  return new StoreError(StoreErrorCode.NotFound, `${entity} ${what} not found`, { entity });
}
