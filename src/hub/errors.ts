import type { ProfileIssue } from '../profile/index.js';
import { isStoreError, StoreErrorCode } from '../store/index.js';
import type { UploadCheckerBusy } from './upload-checker.js';

/**
 * Stable codes of what the hub refuses (the API's problem+json `code`). The hub speaks no HTTP: which status
 * each one answers with is the server's table (src/server/to-problem.ts).
 */
export const HubErrorCode = {
  NotFound: 'NOT_FOUND',
  ClusterExists: 'CLUSTER_EXISTS',
  KubeconfigInvalid: 'KUBECONFIG_INVALID',
  ClusterUnreachable: 'CLUSTER_UNREACHABLE',
  ClusterTls: 'CLUSTER_TLS',
  ClusterUnauthorized: 'CLUSTER_UNAUTHORIZED',
  ClusterForbidden: 'CLUSTER_FORBIDDEN',
  ProfileInvalid: 'PROFILE_INVALID',
  ProfileVersionConflict: 'PROFILE_VERSION_CONFLICT',
  CompositionInvalid: 'PROFILE_COMPOSITION_INVALID',
  AttachmentExists: 'ATTACHMENT_EXISTS',
  InvalidInput: 'INVALID_INPUT',
  BundleInvalid: 'BUNDLE_INVALID',
  BundleTooLarge: 'BUNDLE_TOO_LARGE',
  HealthRulesInvalid: 'HEALTH_RULES_INVALID',
  /** A remote chart could not be fetched when its version was published (issue 13). */
  ChartFetchFailed: 'CHART_FETCH_FAILED',
  TokenNotFound: 'TOKEN_NOT_FOUND',
  LastAdminToken: 'LAST_ADMIN_TOKEN',
  /** An agent's status batch does not follow the last event stored (a lost batch): it resends from `expected`. */
  AgentSequenceGap: 'AGENT_SEQUENCE_GAP',
  /** An agent's batch could not be stored (a failed database write): not acked, the agent sends it again. */
  AgentBatchNotStored: 'AGENT_BATCH_NOT_STORED',
  /** An agent pushed more status bytes than it may in a while (AgentPushLimiter): it sends again later. */
  AgentPushesTooFast: 'AGENT_PUSHES_TOO_FAST',
  /** What was asked needs the hub to reach the cluster, and an agent runs it (the hub holds no credentials). */
  AgentCluster: 'AGENT_CLUSTER',
  /** The hub has as much of this work queued as it takes; the request may be sent again later. */
  Busy: 'HUB_BUSY',
  /** The caller (its token) holds more of this work than its share while others wait: it sends again later. */
  TooManyRequests: 'TOO_MANY_REQUESTS',
  /**
   * An attachment's sealed (sensitive) value would be used by a profile version that does not declare it
   * sensitive: sealed values are never unsealed, nor shown in a preview or an error.
   */
  SealedValue: 'SEALED_VALUE',
} as const;
export type HubErrorCode = (typeof HubErrorCode)[keyof typeof HubErrorCode];

export class HubError extends Error {
  readonly issues?: readonly ProfileIssue[];
  /** Seconds after which the request may be sent again (an HTTP answer's Retry-After). */
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: HubErrorCode,
    message: string,
    options: { issues?: readonly ProfileIssue[]; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'HubError';
    if (options.issues) this.issues = options.issues;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The human explanation, for problem+json `detail`. */
  get detail(): string {
    return this.message;
  }
}

/** Issue messages a HubError's detail quotes, at most, and how much of each: the issues go in full beside it. */
const DETAIL_MESSAGES = 3;
const DETAIL_MESSAGE_CHARS = 300;

/**
 * A few of the issues' messages, for a detail: joining every one made a 59 MiB detail of a preview naming
 * 70,000 unknown variables (review 14). The answer's `issues` carry them all (capped where they are made).
 */
export function issuesSummary(issues: readonly ProfileIssue[]): string {
  const shown = issues
    .slice(0, DETAIL_MESSAGES)
    .map((i) =>
      i.message.length > DETAIL_MESSAGE_CHARS ? `${i.message.slice(0, DETAIL_MESSAGE_CHARS)}…` : i.message,
    );
  return issues.length > DETAIL_MESSAGES ? `${shown.join('; ')}; … (all in the issues)` : shown.join('; ');
}

export function notFound(what: string, name: string): HubError {
  return new HubError(HubErrorCode.NotFound, `${what} "${name}" not found`);
}

/** Seconds a caller refused for a full pool is asked to wait: a check takes about a second. */
const BUSY_RETRY_AFTER_SECONDS = 2;

/**
 * The HubError a refusal of the pool answers with: TOO_MANY_REQUESTS (429) when the caller is over its share,
 * HUB_BUSY (503) when the hub itself is full; either with Retry-After. `what`: what was queued, for the message.
 */
export function busyError(error: UploadCheckerBusy, what?: string): HubError {
  return new HubError(
    error.overShare ? HubErrorCode.TooManyRequests : HubErrorCode.Busy,
    what === undefined ? error.message : `${what}: ${error.message}`,
    { cause: error, retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS },
  );
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const fromStore: Partial<Record<StoreErrorCode, HubErrorCode>> = {
  [StoreErrorCode.NotFound]: HubErrorCode.NotFound,
  [StoreErrorCode.ClusterExists]: HubErrorCode.ClusterExists,
  [StoreErrorCode.ProfileVersionConflict]: HubErrorCode.ProfileVersionConflict,
  [StoreErrorCode.AttachmentExists]: HubErrorCode.AttachmentExists,
  [StoreErrorCode.InvalidInput]: HubErrorCode.InvalidInput,
};

/** Store errors the API should answer with the hub's codes. */
export async function mapStoreErrors<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (!isStoreError(error)) throw error;
    const code = fromStore[error.code];
    if (!code) throw error;
    throw new HubError(code, error.message, { cause: error });
  }
}
