import { describe, expect, it } from 'vitest';
import { IssueKind, type ProfileIssue } from '../profile/index.js';
import { issuesSummary } from './errors.js';

const issue = (message: string): ProfileIssue => ({
  file: 'p.yaml',
  line: 1,
  column: 1,
  path: '',
  kind: IssueKind.UnknownVariable,
  message,
});

describe('issuesSummary', () => {
  it('quotes a few messages whole', () => {
    expect(issuesSummary([issue('a'), issue('b')])).toBe('a; b');
  });

  it('quotes three messages, each cut, and points at the issues for the rest (review 14)', () => {
    const issues = Array.from({ length: 70_000 }, (_, i) =>
      issue(`unknown variable "v${i}"; ${'x'.repeat(1000)}`),
    );
    const summary = issuesSummary(issues);
    expect(summary.startsWith(`unknown variable "v0"; ${'x'.repeat(277)}…; unknown variable "v1"`)).toBe(
      true,
    );
    expect(summary.endsWith('; … (all in the issues)')).toBe(true);
    // Joining them all made a 70 MB detail.
    expect(summary.length).toBeLessThan(1000);
  });
});
