// The CLI's one error type: a stable code (style.md rule 7), the message printed after `error: `, the exit
// code, and, for profile problems, the positioned issues printed one per line.
import { terminalText } from './render/terminal-text.js';

/** Exit codes scripts can rely on (documented in `strata --help`). */
export const ExitCode = {
  Ok: 0,
  /** Any error, and `status --wait` seeing a red pack. */
  Error: 1,
  /** `status --wait` timed out with packs not green. */
  Timeout: 2,
  /** Interrupted (Ctrl-C). */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const CliErrorCode = {
  Usage: 'USAGE',
  HubUnreachable: 'HUB_UNREACHABLE',
  Unauthorized: 'UNAUTHORIZED',
  Api: 'API',
  BadResponse: 'BAD_RESPONSE',
  File: 'FILE',
  Config: 'CONFIG',
} as const;
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

export interface IssueLine {
  readonly formatted: string;
}

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly issues: readonly IssueLine[];
  readonly exitCode: ExitCode;
  /** The hub's problem code (NOT_FOUND, PROFILE_INVALID, …) when the error came from the API. */
  readonly apiCode: string | undefined;
  /** Extra lines after the message: what to do about it. */
  readonly hint: string | undefined;

  constructor(
    readonly code: CliErrorCode,
    message: string,
    options: {
      issues?: readonly IssueLine[];
      exitCode?: ExitCode;
      apiCode?: string;
      hint?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.issues = options.issues ?? [];
    this.exitCode = options.exitCode ?? ExitCode.Error;
    this.apiCode = options.apiCode;
    this.hint = options.hint;
  }
}

export const usageError = (message: string, hint?: string): CliError =>
  new CliError(CliErrorCode.Usage, message, hint === undefined ? {} : { hint });

/**
 * What stderr shows for an error: `error: <message> (<code>)`, then the issues and the hint. The message and the
 * issues are the hub's words, often a cluster's or a chart's (a helm error): shown as text, never as terminal
 * controls, and a line break in them starts an indented line, so the text cannot forge a line of its own.
 */
export function formatError(error: unknown): string {
  if (!(error instanceof CliError)) {
    const message = error instanceof Error ? error.message : String(error);
    return `error: ${theirWords(message)}\n`;
  }
  const code = error.apiCode === undefined ? '' : ` (${error.apiCode})`;
  const lines = [
    `error: ${theirWords(error.message)}${code}`,
    ...error.issues.map((issue) => theirWords(issue.formatted)),
  ];
  if (error.hint !== undefined) lines.push(terminalText(error.hint, { multiline: true }));
  return `${lines.join('\n')}\n`;
}

const theirWords = (text: string): string =>
  terminalText(text, { multiline: true }).replace(/\n(?=.)/g, '\n  ');
