// The server's one table from hub codes to HTTP statuses: every code is mapped, and the hub's error carries
// no status of its own (the hub speaks no HTTP).
import { describe, expect, it } from 'vitest';
import { HubError, HubErrorCode } from '../hub/index.js';
import {
  IssueKind,
  MAX_ISSUES,
  ProfileError,
  ProfileErrorCode,
  type ProfileIssue,
} from '../profile/index.js';
import { MAX_FILE_NAME } from '../shared/file-name.js';
import { KEPT_TEXT_MAX } from '../shared/kept-text.js';
import {
  hubStatus,
  inputIssuesDetail,
  MAX_INPUT_ISSUES,
  MAX_ISSUE_MESSAGE,
  MAX_ISSUE_PATH,
  toProblem,
} from './to-problem.js';

const context = { instance: '/api/v1/clusters/x', requestId: 'req-1' };

describe('toProblem of a HubError', () => {
  it.each(Object.values(HubErrorCode))('%s answers with the status of the server table', (code) => {
    const { problem, internal } = toProblem(new HubError(code, `something about ${code}`), context);
    expect(problem).toMatchObject({ status: hubStatus[code], code, detail: `something about ${code}` });
    expect(internal).toBe(false);
  });

  it('cuts a detail that quotes a long remote or program text, and cleans it', () => {
    // A chart fetch's versions, a cluster's refusal, a health rule's compile error: whatever reached a detail.
    const long = `\u001b[2Jrefused ${'x'.repeat(1024 * 1024)}`;
    const { problem } = toProblem(new HubError(HubErrorCode.ChartFetchFailed, long), context);
    expect(problem.detail.length).toBe(KEPT_TEXT_MAX);
    expect(problem.detail).toMatch(/^\[2Jrefused x+…\[\d+ more characters cut by the hub\]$/);
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

describe('the issues of a problem (review 14)', () => {
  // A client named the file, a key and a variable: each as long as a body may make it.
  const long = (n: number): ProfileIssue => ({
    file: 'f'.repeat(10_000),
    line: n + 1,
    column: 1,
    path: `values.${'k'.repeat(10_000)}`,
    kind: IssueKind.UnknownVariable,
    message: `unknown variable "${'k'.repeat(10_000)}"`,
  });
  const issues = Array.from({ length: 300 }, (_, n) => long(n));

  it.each([
    ['a HubError', new HubError(HubErrorCode.CompositionInvalid, 'do not fit', { issues })],
    ['a ProfileError', new ProfileError(ProfileErrorCode.Invalid, issues)],
  ])('of %s are capped, each field bounded', (_, error) => {
    const { problem } = toProblem(error, context);
    const shown = problem.issues ?? [];
    expect(shown).toHaveLength(MAX_ISSUES + 1);
    expect(shown.at(-1)?.message).toBe(
      `${300 - MAX_ISSUES} more problems not shown; fix the ones above first`,
    );
    for (const issue of shown) {
      expect(issue.file.length).toBeLessThanOrEqual(MAX_FILE_NAME);
      expect(issue.path.length).toBeLessThanOrEqual(MAX_ISSUE_PATH);
      expect(issue.message.length).toBeLessThanOrEqual(MAX_ISSUE_MESSAGE);
      const where = `${issue.file}:${issue.line}:${issue.column}`;
      expect(issue.formatted).toBe(
        issue.path === '' ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`,
      );
    }
    expect(shown[0]?.file).toBe(`${'f'.repeat(MAX_FILE_NAME - 1)}…`);
    // 300 issues quoting 10,000 characters 5 times made 15 MB; 101 bounded ones stay under 400 KiB.
    expect(JSON.stringify(problem).length).toBeLessThan(400 * 1024);
  });
});

describe('inputIssuesDetail', () => {
  it(`describes ${MAX_INPUT_ISSUES} issues and counts the rest (review 14: 200,000 made a 12.7 MiB detail)`, () => {
    const issues = Array.from({ length: 200_000 }, (_, i) => ({
      path: ['values', i.toString(36)],
      message: 'Invalid input: expected string, received number',
    }));
    const detail = inputIssuesDetail(issues, 'body');
    expect(detail.split('; ')).toHaveLength(MAX_INPUT_ISSUES + 1);
    expect(detail).toMatch(
      /^body values\.0: Invalid input: expected string, received number; body values\.1: /,
    );
    expect(detail).toMatch(/; and 199980 more$/);
  });

  it('cuts a key the client chose and a message that quotes the input', () => {
    const detail = inputIssuesDetail(
      [
        { path: ['values', 'k'.repeat(100_000)], message: 'Invalid key in record' },
        { path: [], message: `Unrecognized keys: ${'"x", '.repeat(100_000)}` },
      ],
      'body',
    );
    expect(detail.length).toBeLessThan(1000);
    expect(detail).toMatch(/^body values\.k{63}…: Invalid key in record; body: Unrecognized keys: "x", /);
  });
});
