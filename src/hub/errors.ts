import type { ProfileIssue } from '../profile/index.js';

/** Stable codes the API returns (application/problem+json `code`), each with its HTTP status. */
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
} as const;
export type HubErrorCode = (typeof HubErrorCode)[keyof typeof HubErrorCode];

const statusOf: Record<HubErrorCode, number> = {
  NOT_FOUND: 404,
  CLUSTER_EXISTS: 409,
  KUBECONFIG_INVALID: 400,
  CLUSTER_UNREACHABLE: 422,
  CLUSTER_TLS: 422,
  CLUSTER_UNAUTHORIZED: 422,
  CLUSTER_FORBIDDEN: 422,
  PROFILE_INVALID: 422,
  PROFILE_VERSION_CONFLICT: 409,
  PROFILE_COMPOSITION_INVALID: 422,
  ATTACHMENT_EXISTS: 409,
  INVALID_INPUT: 400,
  BUNDLE_INVALID: 422,
  BUNDLE_TOO_LARGE: 413,
  HEALTH_RULES_INVALID: 422,
};

export class HubError extends Error {
  readonly status: number;
  readonly issues?: readonly ProfileIssue[];

  constructor(
    readonly code: HubErrorCode,
    message: string,
    options: { issues?: readonly ProfileIssue[]; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'HubError';
    this.status = statusOf[code];
    if (options.issues) this.issues = options.issues;
  }

  /** The human explanation, for problem+json `detail`. */
  get detail(): string {
    return this.message;
  }
}
