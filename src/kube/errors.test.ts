import { ApiException } from '@kubernetes/client-node';
import { errors as undiciErrors } from 'undici';
import { describe, expect, it } from 'vitest';
import { classifyError, errorFromResponse, errorFromStatus, KubeError, KubeErrorCode } from './errors.js';
import * as statuses from './fixtures/statuses.js';
import type { ObjectRef } from '../shared/refs.js';

const web: ObjectRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'web', name: 'api' };

/** What undici's fetch throws for a socket-level failure: TypeError('fetch failed') around the Node error. */
function fetchFailed(code: string, message: string): TypeError {
  const cause = Object.assign(new Error(message), { code });
  return new TypeError('fetch failed', { cause });
}

describe('errorFromResponse', () => {
  it('an object with a field its schema does not declare is Invalid, not a retryable 500', () => {
    // As kube-apiserver 1.34 answers a server-side apply of a Deployment with `spec.spec`.
    const body = {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message:
        'failed to create typed patch object (day2/a; apps/v1, Kind=Deployment): .spec.spec: field not declared in schema',
      code: 500,
    };
    const error = errorFromResponse(500, body, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'day2',
      name: 'a',
    });
    expect(error.code).toBe(KubeErrorCode.Invalid);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('.spec.spec: field not declared in schema');
  });

  it.each([
    [400, { ...statuses.invalidDeployment, code: 400, reason: 'BadRequest' }, 'Invalid', false],
    [401, statuses.unauthorized, 'Unauthorized', false],
    [403, statuses.forbidden, 'Forbidden', false],
    [404, statuses.notFound, 'NotFound', false],
    [409, statuses.alreadyExists, 'AlreadyExists', false],
    [409, statuses.optimisticConflict, 'Conflict', true],
    [410, statuses.expired, 'Gone', true],
    [422, statuses.invalidDeployment, 'Invalid', false],
    [
      429,
      { kind: 'Status', message: 'too many requests', reason: 'TooManyRequests', code: 429 },
      'TooManyRequests',
      true,
    ],
    [
      500,
      { kind: 'Status', message: 'etcdserver: leader changed', reason: 'InternalError', code: 500 },
      'ServerError',
      true,
    ],
    [503, 'service unavailable', 'ServerError', true],
    [504, { kind: 'Status', message: 'request timed out', reason: 'Timeout', code: 504 }, 'Timeout', true],
  ] as const)('%i %j → %s retryable=%s', (status, body, code, retryable) => {
    const e = errorFromResponse(status, JSON.stringify(body), web);
    expect(e).toBeInstanceOf(KubeError);
    expect(e.code).toBe(code);
    expect(e.status).toBe(status);
    expect(e.retryable).toBe(retryable);
    expect(e.ref).toEqual(web);
  });

  it("keeps the API server's message and causes for an invalid object", () => {
    const e = errorFromResponse(422, JSON.stringify(statuses.invalidDeployment), web);
    expect(e.message).toBe(
      'Deployment web/api: Deployment.apps "bad" is invalid: [spec.selector: Required value, spec.template.spec.containers: Required value]',
    );
    expect(e.apiMessage).toBe(statuses.invalidDeployment.message);
    expect(e.reason).toBe('Invalid');
    expect(e.causes.map((c) => c.field)).toEqual(['spec.selector', 'spec.template.spec.containers']);
  });

  it('an SSA field conflict is not retryable and names the manager and fields', () => {
    const e = errorFromResponse(409, JSON.stringify(statuses.applyConflict), web);
    expect(e.code).toBe(KubeErrorCode.Conflict);
    expect(e.retryable).toBe(false);
    expect(e.message).toBe('Deployment web/api: conflict with "kubectl-edit" over .spec.replicas');
    expect(e.conflicts).toEqual([{ manager: 'kubectl-edit', field: '.spec.replicas' }]);
    expect(e.apiMessage).toBe(statuses.applyConflict.message);
  });

  it('groups several conflicting fields by manager', () => {
    const body = {
      ...statuses.applyConflict,
      details: {
        causes: [
          { reason: 'FieldManagerConflict', message: 'conflict with "helm" using v1', field: '.data.a' },
          { reason: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.data.b' },
          { reason: 'FieldManagerConflict', message: 'conflict with "helm" using v1', field: '.data.c' },
        ],
      },
    };
    expect(errorFromResponse(409, body).message).toBe(
      'conflict with "helm" over .data.a, .data.c; conflict with "kubectl" over .data.b',
    );
  });

  it('a body that is not a Status is never quoted: the status and where it came from are', () => {
    const e = errorFromResponse(
      502,
      '<html>AKIA-SECRET</html>',
      undefined,
      'HTTP 502 from https://x/version',
    );
    expect(e.code).toBe(KubeErrorCode.ServerError);
    expect(e.message).toBe('HTTP 502 from https://x/version');
    expect(e.apiMessage).toBe('HTTP 502 from https://x/version');
    expect(errorFromResponse(503, 'AKIA-SECRET').message).toBe('HTTP 503');
  });

  it.each([
    ['JSON with a message but no kind', { message: 'AKIA-SECRET', reason: 'x' }],
    ['a Status of another apiVersion', { kind: 'Status', apiVersion: 'evil/v1', message: 'AKIA-SECRET' }],
    ['a Status whose message is not a string', { kind: 'Status', message: { AccessKeyId: 'AKIA-SECRET' } }],
  ])('%s is not a Kubernetes Status and is not quoted', (_, body) => {
    const e = errorFromResponse(500, JSON.stringify(body));
    expect(e.message).toBe('HTTP 500');
    expect(e.apiMessage).toBe('HTTP 500');
    expect(JSON.stringify(e)).not.toContain('AKIA-SECRET');
  });
});

describe('errorFromStatus (watch ERROR events)', () => {
  it('410 Expired is Gone', () => {
    const e = errorFromStatus(statuses.expired);
    expect(e.code).toBe(KubeErrorCode.Gone);
    expect(e.message).toBe('too old resource version: 2 (258)');
  });
});

describe('classifyError', () => {
  it('passes a KubeError through, adding the ref when it had none', () => {
    const original = new KubeError(KubeErrorCode.ServerError, 'boom', { status: 500 });
    expect(classifyError(original)).toBe(original);
    const withRef = classifyError(original, web);
    expect(withRef.message).toBe('Deployment web/api: boom');
    expect(withRef.status).toBe(500);
    expect(withRef.retryable).toBe(true);
  });

  it("classifies client-node's ApiException by code and Status body", () => {
    const e = classifyError(new ApiException(403, 'Forbidden', JSON.stringify(statuses.forbidden), {}), web);
    expect(e.code).toBe(KubeErrorCode.Forbidden);
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('User "nobody" cannot list resource "namespaces"');
  });

  it("does not quote an ApiException's non-Status body (its message embeds it)", () => {
    const e = classifyError(new ApiException(502, 'Bad Gateway', '<html>AKIA-SECRET</html>', {}));
    expect(e.code).toBe(KubeErrorCode.ServerError);
    expect(e.message).toBe('HTTP 502');
  });

  it("classifies client-node Watch's Error with statusCode", () => {
    const e = classifyError(Object.assign(new Error('Gone'), { statusCode: 410 }));
    expect(e.code).toBe(KubeErrorCode.Gone);
    expect(e.retryable).toBe(true);
  });

  it('connection refused is Unreachable and retryable', () => {
    const e = classifyError(fetchFailed('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:6443'));
    expect(e.code).toBe(KubeErrorCode.Unreachable);
    expect(e.retryable).toBe(true);
    expect(e.errno).toBe('ECONNREFUSED');
    expect(e.message).toBe('cannot reach the API server: connect ECONNREFUSED 127.0.0.1:6443');
  });

  it('names an untrusted server certificate as a TLS problem', () => {
    const e = classifyError(
      fetchFailed('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'),
    );
    expect(e.code).toBe(KubeErrorCode.Unreachable);
    expect(e.errno).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(e.message).toMatch(
      /^TLS handshake failed: the server's certificate is not signed by the kubeconfig's/,
    );
  });

  it('timeouts are Timeout and retryable', () => {
    expect(classifyError(fetchFailed('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error')).code).toBe(
      'Timeout',
    );
    const e = classifyError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    expect(e.code).toBe(KubeErrorCode.Timeout);
    expect(e.retryable).toBe(true);
  });

  it('a socket closed mid-stream is Unreachable', () => {
    const e = classifyError(
      new TypeError('terminated', {
        cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      }),
    );
    expect(e.code).toBe(KubeErrorCode.Unreachable);
    expect(e.retryable).toBe(true);
  });

  // The transport sends with undici's request(), which rejects with its own errors rather than fetch's
  // `TypeError: fetch failed` around them: each maps to what the same failure under fetch did.
  it("undici's own errors, not wrapped by fetch, map as under fetch", () => {
    const refused = classifyError(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }),
    );
    expect([refused.code, refused.errno, refused.message]).toEqual([
      'Unreachable',
      'ECONNREFUSED',
      'cannot reach the API server: connect ECONNREFUSED 127.0.0.1:6443',
    ]);
    const closed = classifyError(new undiciErrors.SocketError('other side closed'));
    expect([closed.code, closed.retryable, closed.message]).toEqual([
      'Unreachable',
      true,
      'cannot reach the API server: other side closed',
    ]);
    expect(classifyError(new undiciErrors.ConnectTimeoutError()).code).toBe('Timeout');
    expect(classifyError(new undiciErrors.HeadersTimeoutError()).code).toBe('Timeout');
    // An abort, as the signal's AbortError is: not the network's failure.
    const aborted = classifyError(new undiciErrors.RequestAbortedError(), undefined, { sending: true });
    expect([aborted.code, aborted.message]).toEqual(['Timeout', 'aborted: Request aborted']);
  });

  it('a header undici refuses to send is a non-retryable error, not an unreachable server', () => {
    // fetch refused it before sending, with a TypeError (and the header's value, a token, in its message).
    const e = classifyError(
      new undiciErrors.InvalidArgumentError('invalid authorization header'),
      undefined,
      {
        sending: true,
      },
    );
    expect(e.code).toBe(KubeErrorCode.ServerError);
    expect(e.retryable).toBe(false);
    expect(e.message).toBe('invalid authorization header');
  });

  it('sending failed with an error of no known code (a SOCKS proxy refusing): Unreachable, as fetch reported it', () => {
    const e = classifyError(new Error('Socket closed'), undefined, { sending: true });
    expect(e.code).toBe(KubeErrorCode.Unreachable);
    expect(e.retryable).toBe(true);
    expect(e.message).toBe('cannot reach the API server: Socket closed');
    // The same error elsewhere (an exec plugin failing before sending) stays what it was.
    expect(classifyError(new Error('Socket closed')).code).toBe(KubeErrorCode.ServerError);
  });

  it('anything else is a non-retryable ServerError keeping the message', () => {
    const e = classifyError(new RangeError('bad'), web);
    expect(e.code).toBe(KubeErrorCode.ServerError);
    expect(e.retryable).toBe(false);
    expect(e.message).toBe('Deployment web/api: bad');
  });

  it('never retries 400/401/403/404/422 (style.md rule 6)', () => {
    for (const status of [400, 401, 403, 404, 422])
      expect(errorFromResponse(status, '').retryable).toBe(false);
    for (const status of [409, 429, 500, 502, 503, 504])
      expect(errorFromResponse(status, '').retryable).toBe(true);
  });
});
