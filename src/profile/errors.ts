// A small typed error for profile problems. The architecture calls for one shared `StrataError` with stable
// codes (style.md rule 7); none exists yet, so this lives here until it can move to a shared place.

/** Where an issue points: 1-based line and column in `file`. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export const IssueKind = {
  Yaml: 'yaml',
  Type: 'type',
  UnknownField: 'unknown-field',
  MissingField: 'missing-field',
  InvalidValue: 'invalid-value',
  Duplicate: 'duplicate',
  Cycle: 'cycle',
  MissingFile: 'missing-file',
  TooLarge: 'too-large',
  Composition: 'composition',
  Ordering: 'ordering',
  UnknownMacro: 'unknown-macro',
  UnknownVariable: 'unknown-variable',
  MissingVariable: 'missing-variable',
  VariableMismatch: 'variable-mismatch',
} as const;
export type IssueKind = (typeof IssueKind)[keyof typeof IssueKind];

/** One problem with a profile, positioned in its file. `path` is the field path, e.g. `spec.packs[2].layer`. */
export interface ProfileIssue extends SourcePosition {
  readonly kind: IssueKind;
  readonly path: string;
  readonly message: string;
}

export const ProfileErrorCode = {
  /** The file is not a valid profile (syntax, types, unknown fields, references). */
  Invalid: 'PROFILE_INVALID',
  /** The profiles attached to one cluster do not fit together (types, layers, names, dependencies). */
  CompositionInvalid: 'PROFILE_COMPOSITION_INVALID',
  /** Variables or macros could not be resolved for a cluster. */
  ResolveFailed: 'PROFILE_RESOLVE_FAILED',
} as const;
export type ProfileErrorCode = (typeof ProfileErrorCode)[keyof typeof ProfileErrorCode];

/** More issues than this are summed up in one last issue: a hostile file can yield one per line. */
export const MAX_ISSUES = 100;

export interface CapOptions {
  /** Issues kept; default MAX_ISSUES. */
  readonly limit?: number;
  /**
   * How many issues there are in all, when the caller stopped making them early (it made `limit + 1`, so the
   * summary has a position): a hostile request can name thousands of unknown things, and each made issue costs.
   */
  readonly total?: number;
}

/** The first `limit` issues, and one more, at the next one's place, saying how many were left out. */
export function capIssues(
  issues: readonly ProfileIssue[],
  options: CapOptions = {},
): readonly ProfileIssue[] {
  const limit = options.limit ?? MAX_ISSUES;
  const next = issues[limit];
  if (next === undefined) return issues;
  const rest = Math.max(options.total ?? issues.length, issues.length) - limit;
  return [
    ...issues.slice(0, limit),
    {
      ...next,
      path: '',
      message: `${rest} more ${rest === 1 ? 'problem' : 'problems'} not shown; fix the ones above first`,
    },
  ];
}

/** `profile.yaml:14:12 spec.packs[2].layer: expected one of os, k8s, cni, csi, addon; got "network"` */
export function formatIssue(issue: ProfileIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path === '' ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

export function formatIssues(issues: readonly ProfileIssue[]): string {
  return issues.map(formatIssue).join('\n');
}

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  readonly code: ProfileErrorCode;
  readonly issues: readonly ProfileIssue[];

  constructor(code: ProfileErrorCode, issues: readonly ProfileIssue[], options?: { cause?: unknown }) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`${code}: ${count}\n${formatIssues(issues)}`, options);
    this.code = code;
    this.issues = issues;
  }
}

/** Every function here that can fail returns this instead of throwing, so callers see all issues at once. */
export type ProfileResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly ProfileIssue[] };

/** For callers that prefer exceptions: the value, or a ProfileError carrying every issue. */
export function unwrap<T>(result: ProfileResult<T>, code: ProfileErrorCode): T {
  if (result.ok) return result.value;
  throw new ProfileError(code, result.issues);
}
