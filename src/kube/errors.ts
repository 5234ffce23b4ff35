import { formatRef, type ObjectRef } from '../shared/refs.js';

/** Stable codes for every way a Kubernetes call can fail (style.md rules 1 and 7). */
export const KubeErrorCode = {
  Invalid: 'Invalid',
  Forbidden: 'Forbidden',
  Unauthorized: 'Unauthorized',
  NotFound: 'NotFound',
  Conflict: 'Conflict',
  AlreadyExists: 'AlreadyExists',
  Gone: 'Gone',
  TooManyRequests: 'TooManyRequests',
  ServerError: 'ServerError',
  Unreachable: 'Unreachable',
  Timeout: 'Timeout',
  BadKubeconfig: 'BadKubeconfig',
  UnknownKind: 'UnknownKind',
  /** The server or proxy is in an address range this process may not contact (outbound-policy.ts). */
  OutboundDenied: 'OutboundDenied',
  /** The API server sent more than this hub reads from it (limits.ts): an answer, a watch line, a list. */
  TooLarge: 'TooLarge',
} as const;
export type KubeErrorCode = (typeof KubeErrorCode)[keyof typeof KubeErrorCode];

/** One `details.causes[]` entry of a Kubernetes `Status` (Go's `Type` field is `reason` in JSON). */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** The parts of a `metav1.Status` we read; the API server sends one with every error response. */
export interface StatusLike {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: StatusCause[] };
}

/** One field an SSA apply could not take over because another field manager owns it. */
export interface FieldConflict {
  manager: string;
  field: string;
}

export interface KubeErrorOptions {
  status?: number;
  retryable?: boolean;
  ref?: ObjectRef;
  /** The API server's `Status.reason`, e.g. `FieldManagerConflict`-bearing `Conflict`, `AlreadyExists`. */
  reason?: string;
  /** The API server's `Status.message`, verbatim. */
  apiMessage?: string;
  causes?: StatusCause[];
  conflicts?: FieldConflict[];
  /** The Node/undici error code of a transport failure, e.g. `ECONNREFUSED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`. */
  errno?: string;
  cause?: unknown;
}

/** Never retried (style.md rule 6); everything else in the table below is. */
const retryableByCode: Record<KubeErrorCode, boolean> = {
  Invalid: false,
  Forbidden: false,
  Unauthorized: false,
  NotFound: false,
  // Optimistic-concurrency conflicts succeed on a retry with a fresh read; SSA field conflicts are set to
  // not retryable where they are recognised (classifyStatus).
  Conflict: true,
  AlreadyExists: false,
  // A 410 is answered by relisting, which is a retry.
  Gone: true,
  TooManyRequests: true,
  ServerError: true,
  Unreachable: true,
  Timeout: true,
  BadKubeconfig: false,
  UnknownKind: false,
  OutboundDenied: false,
  // A misbehaving server, like a 5xx: retried after a backoff, so a cluster that sends too much costs the hub
  // one bounded read per attempt and shows as a connection error meanwhile.
  TooLarge: true,
};

export class KubeError extends Error {
  readonly code: KubeErrorCode;
  readonly status?: number;
  readonly retryable: boolean;
  readonly ref?: ObjectRef;
  readonly reason?: string;
  readonly apiMessage?: string;
  readonly causes: StatusCause[];
  readonly conflicts: FieldConflict[];
  readonly errno?: string;

  constructor(code: KubeErrorCode, message: string, options: KubeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeError';
    this.code = code;
    this.status = options.status;
    this.retryable = options.retryable ?? retryableByCode[code];
    this.ref = options.ref;
    this.reason = options.reason;
    this.apiMessage = options.apiMessage;
    this.causes = options.causes ?? [];
    this.conflicts = options.conflicts ?? [];
    this.errno = options.errno;
  }
}

/** HTTP status → code. Unlisted 4xx (405, 406, 415, …) are requests the server will never accept: Invalid. */
export function codeForStatus(status: number, reason?: string): KubeErrorCode {
  switch (status) {
    case 400:
    case 422:
      return KubeErrorCode.Invalid;
    case 401:
      return KubeErrorCode.Unauthorized;
    case 403:
      return KubeErrorCode.Forbidden;
    case 404:
      return KubeErrorCode.NotFound;
    case 408:
      return KubeErrorCode.Timeout;
    case 409:
      return reason === 'AlreadyExists' ? KubeErrorCode.AlreadyExists : KubeErrorCode.Conflict;
    case 410:
      return KubeErrorCode.Gone;
    case 429:
      return KubeErrorCode.TooManyRequests;
    case 504:
      return KubeErrorCode.Timeout;
    default:
      return status >= 500 ? KubeErrorCode.ServerError : KubeErrorCode.Invalid;
  }
}

/**
 * SSA reports field ownership conflicts as 409 with causes of reason FieldManagerConflict, message
 * `conflict with "kubectl-edit"` (plus ` using apps/v1` when versions differ) and the field path (k8s.io/apimachinery
 * pkg/util/managedfields/internal/conflict.go).
 */
export function fieldConflicts(causes: StatusCause[]): FieldConflict[] {
  return causes
    .filter((c) => c.reason === 'FieldManagerConflict')
    .map((c) => ({
      manager: /conflict with "([^"]*)"/.exec(c.message ?? '')?.[1] ?? c.message ?? 'another manager',
      field: c.field ?? '(unknown field)',
    }));
}

/** `conflict with "kubectl-edit" over .spec.replicas; conflict with "helm" over .data.a, .data.b` */
export function describeConflicts(conflicts: FieldConflict[]): string {
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.field]);
  return [...byManager].map(([m, fields]) => `conflict with "${m}" over ${fields.join(', ')}`).join('; ');
}

function prefix(ref: ObjectRef | undefined, message: string): string {
  return ref ? `${formatRef(ref)}: ${message}` : message;
}

/**
 * The body as a Kubernetes `Status` (kind Status, apiVersion v1), or undefined when it is anything else. Only
 * a well-formed Status is read: any other answer (an HTML error page of a proxy, a metadata endpoint's JSON)
 * is a remote server's content that must never reach our messages, which the API returns to its callers.
 */
function parseStatus(body: unknown): StatusLike | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const s = value as StatusLike & { apiVersion?: unknown };
  const wellFormed =
    s.kind === 'Status' &&
    (s.apiVersion === undefined || s.apiVersion === 'v1') &&
    (s.message === undefined || typeof s.message === 'string') &&
    (s.reason === undefined || typeof s.reason === 'string');
  return wellFormed ? s : undefined;
}

/**
 * A KubeError from an HTTP status and the response body. The message is the `Status.message` when the API
 * server wrote one; otherwise `fallbackMessage` (e.g. `HTTP 502 from https://…`), never the body itself.
 */
export function errorFromResponse(
  status: number,
  body: unknown,
  ref?: ObjectRef,
  fallbackMessage?: string,
): KubeError {
  const s = parseStatus(body);
  const reason = s?.reason;
  const causes = Array.isArray(s?.details?.causes) ? s.details.causes : [];
  const conflicts = status === 409 ? fieldConflicts(causes) : [];
  const apiMessage = s?.message ?? fallbackMessage ?? `HTTP ${status}`;
  const code = schemaRejection(status, apiMessage) ? KubeErrorCode.Invalid : codeForStatus(status, reason);
  if (conflicts.length > 0) {
    return new KubeError(code, prefix(ref, describeConflicts(conflicts)), {
      status,
      retryable: false,
      ref,
      reason,
      apiMessage,
      causes,
      conflicts,
    });
  }
  return new KubeError(code, prefix(ref, apiMessage), { status, ref, reason, apiMessage, causes });
}

/**
 * Server-side apply of an object with a field its schema does not declare fails with HTTP 500 and
 * `failed to create typed patch object (ns/name; apps/v1, Kind=Deployment): .spec.spec: field not declared in
 * schema` (k8s.io/apiserver pkg/endpoints/handlers/patch.go wraps the structured-merge-diff error as an
 * internal error). Retrying cannot help: it is the object that is wrong, so it is Invalid.
 */
function schemaRejection(status: number, message: string): boolean {
  return status === 500 && message.includes('failed to create typed patch object');
}

/** A watch ERROR event carries a Status object instead of an HTTP status. */
export function errorFromStatus(status: StatusLike, ref?: ObjectRef): KubeError {
  return errorFromResponse(status.code ?? 500, status, ref);
}

const TLS_CODES = /CERT|SIGNATURE|SSL|TLS|HOSTNAME|ISSUER|UNABLE_TO_GET|DEPTH_ZERO/;
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * undici codes that are not the network's failure: an abort (named AbortError, classified as the signal's abort
 * is) and arguments undici refused before sending (a header value an exec plugin returned with a newline in it):
 * retrying cannot help.
 */
const NOT_NETWORK_CODES = new Set([
  'UND_ERR_ABORT',
  'UND_ERR_ABORTED',
  'UND_ERR_INVALID_ARG',
  'UND_ERR_INVALID_RETURN_VALUE',
]);

/** Walks `cause` chains (fetch wraps the socket error in `TypeError: fetch failed`). */
function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = err;
  while (current !== undefined && current !== null && chain.length < 8) {
    chain.push(current);
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  return chain;
}

function stringField(value: unknown, field: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = (value as Record<string, unknown>)[field];
  return typeof v === 'string' ? v : undefined;
}

function numberField(value: unknown, field: string): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = (value as Record<string, unknown>)[field];
  return typeof v === 'number' ? v : undefined;
}

export interface ClassifyOptions {
  /**
   * `err` is what sending the request failed with (connecting, the proxy, writing it, reading the answer's
   * head): without a code recognised below it is still the network's failure, Unreachable and retried, as
   * fetch reported every such failure as `fetch failed` (a SOCKS proxy's error, a parser's on a port that does
   * not speak HTTP).
   */
  sending?: boolean;
}

/**
 * Turns anything a Kubernetes call can throw into a KubeError: our own errors pass through; client-node's
 * `ApiException` (code + body) and its Watch's `Error` with `statusCode` are classified by HTTP status and
 * the API server's Status; undici/Node transport failures become Unreachable (with TLS problems named as such)
 * or Timeout.
 */
export function classifyError(err: unknown, ref?: ObjectRef, options: ClassifyOptions = {}): KubeError {
  if (err instanceof KubeError) {
    if (err.ref || !ref) return err;
    return new KubeError(err.code, prefix(ref, err.message), {
      status: err.status,
      retryable: err.retryable,
      ref,
      reason: err.reason,
      apiMessage: err.apiMessage,
      causes: err.causes,
      conflicts: err.conflicts,
      errno: err.errno,
      cause: err.cause,
    });
  }

  // client-node ApiException: { code: number, body: string | object }
  const apiCode = numberField(err, 'code');
  if (apiCode !== undefined && apiCode >= 400 && apiCode < 600 && err !== null && typeof err === 'object') {
    // Not messageOf(err): ApiException's message quotes the whole body.
    return withCause(
      errorFromResponse(apiCode, (err as { body?: unknown }).body, ref, `HTTP ${apiCode}`),
      err,
    );
  }
  // client-node Watch: Error(statusText) with statusCode
  const statusCode = numberField(err, 'statusCode');
  if (statusCode !== undefined && statusCode >= 400) {
    return withCause(errorFromResponse(statusCode, undefined, ref, `HTTP ${statusCode}`), err);
  }

  const chain = causeChain(err);
  // One of ours, as it is or wrapped (fetch's `TypeError: fetch failed` around what a dispatcher interceptor or
  // the guarded lookup threw).
  const ours = chain.find((e): e is KubeError => e instanceof KubeError);
  if (ours) return classifyError(ours, ref);
  const codes = chain.map((e) => stringField(e, 'code')).filter((c): c is string => c !== undefined);
  const names = chain.map((e) => stringField(e, 'name'));
  const innermost = [...chain].reverse().find((e) => messageOf(e) !== '') ?? err;
  const detail = messageOf(innermost) || String(err);

  const tlsCode = codes.find((c) => TLS_CODES.test(c));
  if (tlsCode) {
    return new KubeError(
      KubeErrorCode.Unreachable,
      prefix(ref, `TLS handshake failed: ${tlsMeaning(tlsCode)} (${tlsCode}: ${detail})`),
      { ref, errno: tlsCode, cause: err },
    );
  }
  const timeoutCode = codes.find((c) => TIMEOUT_CODES.has(c));
  if (timeoutCode || names.includes('TimeoutError')) {
    return new KubeError(KubeErrorCode.Timeout, prefix(ref, `timed out: ${detail}`), {
      ref,
      errno: timeoutCode,
      cause: err,
    });
  }
  const netCode = codes.find(
    (c) =>
      /^E[A-Z]+$/.test(c) || (c.startsWith('UND_ERR') && !NOT_NETWORK_CODES.has(c)) || c.startsWith('HPE_'),
  );
  const refused = codes.some((c) => NOT_NETWORK_CODES.has(c)) || names.includes('AbortError');
  if (
    netCode ||
    (err instanceof TypeError && err.message === 'fetch failed') ||
    (options.sending === true && !refused)
  ) {
    return new KubeError(KubeErrorCode.Unreachable, prefix(ref, `cannot reach the API server: ${detail}`), {
      ref,
      errno: netCode,
      cause: err,
    });
  }
  if (names.includes('AbortError')) {
    return new KubeError(KubeErrorCode.Timeout, prefix(ref, `aborted: ${detail}`), { ref, cause: err });
  }
  // A body that says gzip and is not (mangled on the way, a proxy's own page): the answer's fault, not the hub's,
  // and the next answer may be whole. (One cut short decodes leniently, and fails as invalid JSON: transport.ts.)
  // Until session 16 this fell to the class below, never retried: a cluster's first list failing so kept it
  // shown unreachable until the hub restarted.
  const zlibCode = codes.find((c) => c.startsWith('Z_'));
  if (zlibCode !== undefined) {
    return new KubeError(
      KubeErrorCode.ServerError,
      prefix(ref, `the answer is not the gzip its Content-Encoding says (${zlibCode}: ${detail})`),
      { ref, errno: zlibCode, cause: err },
    );
  }
  // Not from the API server nor the network: most likely a bug; retrying would not help.
  return new KubeError(KubeErrorCode.ServerError, prefix(ref, detail), {
    ref,
    retryable: false,
    cause: err,
  });
}

function withCause(e: KubeError, cause: unknown): KubeError {
  return rewrap(e, e.message, cause);
}

/** The same error with another message (and optionally another cause). */
export function rewrap(e: KubeError, message: string, cause: unknown = e.cause): KubeError {
  return new KubeError(e.code, message, {
    status: e.status,
    retryable: e.retryable,
    ref: e.ref,
    reason: e.reason,
    apiMessage: e.apiMessage,
    causes: e.causes,
    conflicts: e.conflicts,
    errno: e.errno,
    cause,
  });
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : (stringField(e, 'message') ?? '');
}

function tlsMeaning(code: string): string {
  if (code.includes('HOSTNAME') || code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return "the server's certificate does not name this host";
  }
  if (code.includes('EXPIRED')) return "the server's certificate has expired";
  if (/VERIFY|SELF_SIGNED|ISSUER|UNABLE_TO_GET|DEPTH_ZERO/.test(code)) {
    return "the server's certificate is not signed by the kubeconfig's certificate-authority";
  }
  return 'the TLS connection could not be set up';
}
