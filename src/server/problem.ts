// Every error the API returns is an RFC 9457 `application/problem+json` document with a stable `code`
// (style.md rule 7): clients switch on `code`, people read `title` and `detail`.
import { z } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** Problem `type` URIs are relative to this; they need not resolve, they only need to be stable. */
export const PROBLEM_TYPE_BASE = 'https://strata.dev/problems/';

export const ProblemIssueSchema = z
  .object({
    file: z.string(),
    line: z.number().int(),
    column: z.number().int(),
    path: z.string(),
    message: z.string(),
    formatted: z.string().describe('file:line:column path: message, as the CLI prints it'),
  })
  .meta({ id: 'ProfileIssue' });
export type ProblemIssue = z.infer<typeof ProblemIssueSchema>;

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('stable machine-readable error code, e.g. NOT_FOUND, INVALID_REQUEST'),
    instance: z.string().describe('the request path'),
    requestId: z.string().optional().describe('quote it when reporting an INTERNAL error'),
    requiredRole: z.string().optional().describe('on 403: the role the route needs'),
    issues: z.array(ProblemIssueSchema).optional().describe('positioned profile errors'),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof ProblemSchema>;

export interface ApiErrorOptions {
  readonly issues?: readonly ProblemIssue[];
  readonly requiredRole?: string;
  readonly cause?: unknown;
}

/** An error raised by the HTTP layer itself (validation, auth, parsing), already in API terms. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly issues: readonly ProblemIssue[] | undefined;
  readonly requiredRole: string | undefined;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.issues = options.issues;
    this.requiredRole = options.requiredRole;
  }
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export const statusTitle = (status: number): string => titles[status] ?? 'Error';

export function problemType(code: string): string {
  return PROBLEM_TYPE_BASE + code.toLowerCase().replaceAll('_', '-');
}
