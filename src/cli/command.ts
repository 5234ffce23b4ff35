// What a command is: its usage line, flags, examples and the function that runs it. main.ts dispatches over
// a table of these and renders `--help` from them, so help and parsing cannot disagree.
import type { HubClient } from './client.js';
import type { CliConfig, Env } from './config.js';
import type { ExitCode } from './errors.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown in help as `--flag VALUE`. */
  readonly value?: string;
  readonly description: string;
  /** For string flags with a fixed set of values: checked before the command runs. */
  readonly choices?: readonly string[];
}

export type OptionValues = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

export interface Output {
  write(text: string): void;
  readonly isTTY: boolean;
  /** Terminal width, when a terminal. */
  readonly columns: number | undefined;
}

export interface Context {
  readonly stdout: Output;
  readonly stderr: Output;
  /** Colour for stdout: a terminal and no NO_COLOR / --no-color. */
  readonly color: boolean;
  readonly config: CliConfig;
  readonly client: HubClient;
  readonly env: Env;
  readonly cwd: string;
  readonly now: () => number;
  /** Aborted on Ctrl-C: streams end and the command returns. */
  readonly signal: AbortSignal;
  /** Waits between reconnects; injected so tests do not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The width a table must fit: the terminal's, else COLUMNS when set; undefined means no limit. */
export const outputWidth = (ctx: Pick<Context, 'stdout' | 'config'>): number | undefined =>
  ctx.stdout.columns ?? ctx.config.columns;

export interface CommandInput {
  readonly args: readonly string[];
  readonly options: OptionValues;
}

export interface Command {
  /** ['cluster', 'add'] */
  readonly path: readonly string[];
  readonly usage: string;
  readonly summary: string;
  /** Longer text under the usage line. */
  readonly description?: string;
  /** Positional argument names, for arity checks: `NAME`, `[NAME]`, `NAME...`. */
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples: readonly string[];
  /** Whether it talks to the hub (serve does not). */
  readonly needsHub?: boolean;
  run(ctx: Context, input: CommandInput): Promise<ExitCode>;
}

export const outputOption = (formats: readonly string[]): OptionSpec => ({
  type: 'string',
  short: 'o',
  value: 'FORMAT',
  choices: formats,
  description: `output format: ${formats.join(', ')}`,
});

export function stringOption(options: OptionValues, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(options: OptionValues, name: string): readonly string[] {
  const value = options[name];
  if (Array.isArray(value)) return value as readonly string[];
  return typeof value === 'string' ? [value] : [];
}

export const flag = (options: OptionValues, name: string): boolean => options[name] === true;
