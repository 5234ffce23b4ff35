// Turns anything a handler throws into a problem document. Known errors keep their stable code and a status
// chosen by what the client can do about it; anything else is a 500 `INTERNAL` whose details stay in the
// server log (under the request id), never in the response.
import { capIssues, formatIssue, MAX_ISSUES, ProfileError, type ProfileIssue } from '../profile/index.js';
import { StoreError, StoreErrorCode } from '../store/index.js';
import { HubError, type HubErrorCode } from '../hub/index.js';
import { MAX_FILE_NAME } from '../shared/file-name.js';
import { keptText } from '../shared/kept-text.js';
import { ApiError, problemType, statusTitle, type Problem, type ProblemIssue } from './problem.js';

/** A StoreError's HTTP status: a Record so a new store code does not compile until it is mapped. */
const storeStatus: Record<StoreErrorCode, number> = {
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  CLUSTER_EXISTS: 409,
  ATTACHMENT_EXISTS: 409,
  TOKEN_EXISTS: 409,
  PROFILE_VERSION_CONFLICT: 409,
  PROFILE_VERSION_PUBLISHED: 409,
  PROFILE_IN_USE: 409,
  CONSTRAINT_VIOLATION: 409,
  // Another replica drives the cluster now: the client may retry (it lands on the new holder's state).
  LEASE_LOST: 409,
  DATABASE_UNAVAILABLE: 503,
  STORE_CLOSED: 503,
  // The rest are the operator's configuration or a broken database: nothing the API client can fix.
  UNSUPPORTED_DATABASE_URL: 500,
  DATABASE_IN_USE: 500,
  MIGRATION_FAILED: 500,
  SECRET_KEY_INVALID: 500,
  SECRET_KEY_MISMATCH: 500,
  SECRET_CORRUPT: 500,
};

/**
 * A HubError's HTTP status. The hub speaks no HTTP: this table is the one place its codes become statuses,
 * a Record so a new hub code does not compile until it is mapped.
 */
export const hubStatus: Record<HubErrorCode, number> = {
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
  CHART_FETCH_FAILED: 422,
  HEALTH_RULES_INVALID: 422,
  TOKEN_NOT_FOUND: 404,
  LAST_ADMIN_TOKEN: 409,
  AGENT_SEQUENCE_GAP: 409,
  AGENT_BATCH_NOT_STORED: 503,
  AGENT_PUSHES_TOO_FAST: 429,
  AGENT_CLUSTER: 409,
  HUB_BUSY: 503,
  TOO_MANY_REQUESTS: 429,
  SEALED_VALUE: 409,
};

/**
 * An issue's path and message are cut past these. A client names some of what they quote (a YAML key, a
 * bundle entry, a variable), and each answer holds up to MAX_ISSUES + 1 issues, each quoting it twice
 * (`formatted`): review 14 made a 366 MiB answer of a 1.9 MiB file name.
 */
export const MAX_ISSUE_PATH = 512;
export const MAX_ISSUE_MESSAGE = 1024;

/** `text`, or its start and `…` when it is longer than `max`: at most `max` characters either way. */
const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export const toProblemIssue = (issue: ProfileIssue): ProblemIssue => {
  const bounded = {
    ...issue,
    file: cut(issue.file, MAX_FILE_NAME),
    path: cut(issue.path, MAX_ISSUE_PATH),
    message: cut(issue.message, MAX_ISSUE_MESSAGE),
  };
  const { file, line, column, path, message } = bounded;
  return { file, line, column, path, message, formatted: formatIssue(bounded) };
};

/** The longest `formatted`: a bounded file, path and message, and the position between them. */
const MAX_ISSUE_FORMATTED = MAX_FILE_NAME + MAX_ISSUE_PATH + MAX_ISSUE_MESSAGE + 32;

/** An issue the HTTP layer made itself, bounded as toProblemIssue bounds the hub's. */
const boundedProblemIssue = (issue: ProblemIssue): ProblemIssue => ({
  ...issue,
  file: cut(issue.file, MAX_FILE_NAME),
  path: cut(issue.path, MAX_ISSUE_PATH),
  message: cut(issue.message, MAX_ISSUE_MESSAGE),
  formatted: cut(issue.formatted, MAX_ISSUE_FORMATTED),
});

/**
 * An answer's issues: at most MAX_ISSUES and a count of the rest (capIssues), each field bounded. Where the
 * issues are made caps them already (parsing, resolving); this is the one place every answer passes.
 */
export const toProblemIssues = (issues: readonly ProfileIssue[]): ProblemIssue[] =>
  capIssues(issues).map(toProblemIssue);

/** A request's validation issues the 400's detail describes, at most; and how much of each it quotes. */
export const MAX_INPUT_ISSUES = 20;
const MAX_INPUT_PATH_SEGMENT = 64;
const MAX_INPUT_MESSAGE = 500;

/** What zod says of a request's input: the fields of an issue this file reads. */
interface InputIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * The detail of a 400 for input that does not match its schema: the first MAX_INPUT_ISSUES issues and a count
 * of the rest. Each bad entry of a body is one issue, and joining them all made a 12.7 MiB detail of a 1.7 MiB
 * body (review 14). A path segment (a key the client chose) and a message (zod's names every unknown key) are
 * cut too.
 */
export function inputIssuesDetail(issues: readonly InputIssue[], where: string): string {
  const lines = issues.slice(0, MAX_INPUT_ISSUES).map((issue) => {
    const path = issue.path.map((segment) => cut(String(segment), MAX_INPUT_PATH_SEGMENT)).join('.');
    const message = cut(issue.message, MAX_INPUT_MESSAGE);
    return path === '' ? `${where}: ${message}` : `${where} ${path}: ${message}`;
  });
  const rest = issues.length - lines.length;
  return rest > 0 ? `${lines.join('; ')}; and ${rest} more` : lines.join('; ');
}

export interface ProblemContext {
  readonly instance: string;
  readonly requestId: string;
}

export interface MappedProblem {
  readonly problem: Problem;
  /** True when the cause is ours (5xx): log it with its stack. */
  readonly internal: boolean;
}

function make(
  status: number,
  code: string,
  detail: string,
  context: ProblemContext,
  extra: Partial<Problem> = {},
): Problem {
  return {
    type: problemType(code),
    title: statusTitle(status),
    status,
    // Every answer's detail passes here: whatever quoted a remote's or a program's text, it is bounded and
    // holds no terminal control (shared/kept-text.ts), as the hub keeps such text everywhere else.
    detail: keptText(detail),
    code,
    instance: context.instance,
    ...extra,
  };
}

/** Fastify's own errors (body parsing, limits, media types) carry a statusCode and an FST_ code. */
interface FastifyErrorLike {
  readonly code: string;
  readonly statusCode: number;
  readonly message: string;
}

function isFastifyError(error: unknown): error is FastifyErrorLike {
  if (!(error instanceof Error)) return false;
  const e = error as Partial<FastifyErrorLike>;
  return typeof e.code === 'string' && e.code.startsWith('FST_') && typeof e.statusCode === 'number';
}

const fastifyCodes: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_MAX_PARAM_LENGTH: 'PATH_PARAMETER_TOO_LONG',
  FST_ERR_BAD_URL: 'INVALID_URL',
};

/** Fastify's messages for these quote the whole path; ours say what is wrong with it. */
const fastifyDetails: Record<string, string> = {
  FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is longer than 100 characters',
  FST_ERR_BAD_URL: 'the path holds a malformed %-escape',
};

export function toProblem(error: unknown, context: ProblemContext): MappedProblem {
  if (error instanceof ApiError) {
    return {
      problem: make(error.status, error.code, error.message, context, {
        ...(error.issues === undefined
          ? {}
          : {
              issues: error.issues.slice(0, MAX_ISSUES + 1).map(boundedProblemIssue),
            }),
        ...(error.requiredRole === undefined ? {} : { requiredRole: error.requiredRole }),
      }),
      internal: error.status >= 500,
    };
  }
  if (error instanceof HubError) {
    const status = hubStatus[error.code];
    // 503 is the hub saying "not now" (busy), which is the client's to retry, not a fault to log.
    const internal = status >= 500 && status !== 503;
    return {
      problem: make(status, error.code, error.detail, context, {
        ...(error.issues === undefined || error.issues.length === 0
          ? {}
          : { issues: toProblemIssues(error.issues) }),
        ...(internal ? { requestId: context.requestId } : {}),
      }),
      internal,
    };
  }
  if (error instanceof ProfileError) {
    return {
      problem: make(400, error.code, `${error.issues.length} problem(s) in the profile`, context, {
        issues: toProblemIssues(error.issues),
      }),
      internal: false,
    };
  }
  if (error instanceof StoreError) {
    const status = storeStatus[error.code];
    const internal = status >= 500;
    // A 500 from the store (wrong key, broken migration) is the operator's to read in the log, not the
    // client's: the message can name paths and key ids.
    const detail = internal ? `internal error; request id ${context.requestId}` : error.message;
    return {
      problem: make(status, internal ? 'INTERNAL' : error.code, detail, context, {
        ...(internal ? { requestId: context.requestId } : {}),
      }),
      internal,
    };
  }
  if (isFastifyError(error) && error.statusCode < 500) {
    const code = fastifyCodes[error.code] ?? 'INVALID_REQUEST';
    const detail = fastifyDetails[error.code] ?? error.message;
    return { problem: make(error.statusCode, code, detail, context), internal: false };
  }
  return {
    problem: make(500, 'INTERNAL', `internal error; request id ${context.requestId}`, context, {
      requestId: context.requestId,
    }),
    internal: true,
  };
}
