// Review 11, finding 5: an error's message and issues are the hub's words (a helm or cluster message): a line
// break in them must not start a line of its own on stderr, where it could pass for the CLI's own output.
import { describe, expect, it } from 'vitest';
import { CliError, CliErrorCode, formatError } from './errors.js';

describe('formatError', () => {
  it('indents the lines of a message and of its issues, and shows controls as text', () => {
    const error = new CliError(CliErrorCode.BadResponse, 'helm failed: x\nOK: pack applied\x1b[2K', {
      apiCode: 'HELM_FAILED',
      hint: 'see the pack history',
    });
    expect(formatError(error)).toBe(
      'error: helm failed: x\n  OK: pack applied\\x1b[2K (HELM_FAILED)\nsee the pack history\n',
    );
    expect(formatError(new Error('a\nb'))).toBe('error: a\n  b\n');
  });
});
