// The server's one table from hub codes to HTTP statuses: every code is mapped, and the hub's error carries
// no status of its own (the hub speaks no HTTP).
import { describe, expect, it } from 'vitest';
import { HubError, HubErrorCode } from '../hub/index.js';
import { IssueKind, type ProfileIssue } from '../profile/index.js';
import { hubStatus, toProblem } from './to-problem.js';

const context = { instance: '/api/v1/clusters/x', requestId: 'req-1' };

describe('toProblem of a HubError', () => {
  it.each(Object.values(HubErrorCode))('%s answers with the status of the server table', (code) => {
    const { problem, internal } = toProblem(new HubError(code, `something about ${code}`), context);
    expect(problem).toMatchObject({ status: hubStatus[code], code, detail: `something about ${code}` });
    expect(internal).toBe(false);
  });

  it('keeps the statuses clients rely on', () => {
    expect(hubStatus).toMatchObject({
      NOT_FOUND: 404,
      CLUSTER_EXISTS: 409,
      KUBECONFIG_INVALID: 400,
      CLUSTER_UNREACHABLE: 422,
      PROFILE_INVALID: 422,
      BUNDLE_TOO_LARGE: 413,
    });
  });

  it('the HubError itself holds no HTTP status', () => {
    expect('status' in new HubError(HubErrorCode.NotFound, 'cluster "x" not found')).toBe(false);
  });

  it('formats positioned issues for the client', () => {
    const issue: ProfileIssue = {
      file: 'p.yaml',
      line: 3,
      column: 5,
      path: 'spec.packs',
      kind: IssueKind.InvalidValue,
      message: 'bad',
    };
    const { problem } = toProblem(
      new HubError(HubErrorCode.ProfileInvalid, 'p.yaml: 1 problem(s)', { issues: [issue] }),
      context,
    );
    expect(problem.issues).toEqual([
      expect.objectContaining({ file: 'p.yaml', line: 3, column: 5, path: 'spec.packs', message: 'bad' }),
    ]);
  });
});
