// Argument parsing on node:util parseArgs, with kubectl-like errors: unknown commands and flags are named,
// with "did you mean" when one is close; missing values and wrong arities say which.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { editDistance } from '../shared/did-you-mean.js';
import type { Command, OptionSpec, OptionValues } from './command.js';
import { usageError } from './errors.js';

/** Flags every command takes. */
export const globalOptions: Readonly<Record<string, OptionSpec>> = {
  server: {
    type: 'string',
    value: 'URL',
    description: 'the hub (default $STRATA_SERVER, else http://127.0.0.1:7400)',
  },
  'insecure-http': {
    type: 'boolean',
    description:
      'send the token over plain http:// to a hub on another machine (also: STRATA_INSECURE_HTTP=1)',
  },
  'no-color': { type: 'boolean', description: 'no colours (also: NO_COLOR=1, or stdout not a terminal)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export interface Resolved {
  readonly command: Command | undefined;
  /** The words that named the command (or group) so far. */
  readonly path: readonly string[];
  readonly rest: readonly string[];
}

/**
 * Finds the command named by the leading words of argv. Flags may come before the command words
 * (`strata --server X status c`): words are matched skipping flags and their values.
 */
export function resolveCommand(commands: readonly Command[], argv: readonly string[]): Resolved {
  const path: string[] = [];
  const rest: string[] = [];
  let candidates = commands;
  let done = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (done || arg.startsWith('-')) {
      rest.push(arg);
      // A global string flag's separate value is not a command word.
      const name = arg.replace(/^--?/, '');
      if (!arg.includes('=') && globalOptions[name]?.type === 'string' && argv[i + 1] !== undefined) {
        rest.push(argv[++i] ?? '');
      }
      if (arg === '--') done = true;
      continue;
    }
    const depth = path.length;
    const next = candidates.filter((c) => c.path[depth] === arg);
    if (next.length === 0) {
      if (candidates.some((c) => c.path.length === depth)) {
        done = true;
        rest.push(arg);
        continue;
      }
      const words = [...new Set(candidates.map((c) => c.path[depth]).filter((w) => w !== undefined))];
      const close = closest(arg, words);
      const where = path.length === 0 ? 'strata' : `strata ${path.join(' ')}`;
      throw usageError(
        `unknown command "${arg}" for "${where}"${close === undefined ? '' : `; did you mean "${close}"?`}`,
        `run '${where} --help' for the list`,
      );
    }
    path.push(arg);
    candidates = next;
  }
  const exact = candidates.find((c) => c.path.length === path.length);
  return { command: path.length === 0 ? undefined : exact, path, rest };
}

export interface Parsed {
  readonly args: readonly string[];
  readonly options: OptionValues;
}

export function parseCommandArgs(command: Command, argv: readonly string[]): Parsed {
  const specs = { ...globalOptions, ...command.options };
  const config: ParseArgsConfig['options'] = {};
  for (const [name, spec] of Object.entries(specs)) {
    config[name] = {
      type: spec.type,
      ...(spec.short === undefined ? {} : { short: spec.short }),
      ...(spec.multiple === true ? { multiple: true } : {}),
    };
  }
  const where = `strata ${command.path.join(' ')}`;
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    options: config,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = specs[token.name];
    if (spec === undefined) {
      const names = Object.keys(specs);
      const close = closest(token.name, names);
      throw usageError(
        `unknown flag ${token.rawName} for "${where}"${close === undefined ? '' : `; did you mean --${close}?`}`,
        `run '${where} --help' for its flags`,
      );
    }
    if (
      spec.type === 'string' &&
      (token.value === undefined ||
        (!token.inlineValue && token.value.startsWith('-') && token.value.length > 1))
    ) {
      throw usageError(
        `flag ${token.rawName} needs a value${spec.value === undefined ? '' : ` (${spec.value})`}`,
      );
    }
    if (spec.type === 'boolean' && token.inlineValue === true) {
      throw usageError(`flag ${token.rawName} takes no value`);
    }
    if (
      spec.type === 'string' &&
      spec.multiple !== true &&
      tokens.filter((t) => t.kind === 'option' && t.name === token.name).length > 1
    ) {
      throw usageError(`flag ${token.rawName} given more than once`);
    }
    if (
      spec.choices !== undefined &&
      typeof token.value === 'string' &&
      !spec.choices.includes(token.value)
    ) {
      const close = closest(token.value, spec.choices);
      throw usageError(
        `flag ${token.rawName}: "${token.value}" is not one of ${spec.choices.join(', ')}${close === undefined ? '' : `; did you mean "${close}"?`}`,
      );
    }
  }
  if (values.help !== true) checkArity(command, positionals, where);
  return { args: positionals, options: values };
}

function checkArity(command: Command, positionals: readonly string[], where: string): void {
  const required = command.args.filter((a) => !a.startsWith('['));
  const variadic = command.args.some((a) => a.endsWith('...'));
  if (positionals.length < required.length) {
    const missing = required.slice(positionals.length).join(' ');
    throw usageError(`"${where}" needs ${missing}`, `usage: ${command.usage}`);
  }
  if (!variadic && positionals.length > command.args.length) {
    const extra = positionals.slice(command.args.length).join(' ');
    throw usageError(
      `unexpected argument${positionals.length - command.args.length > 1 ? 's' : ''} for "${where}": ${extra}`,
      `usage: ${command.usage}`,
    );
  }
}

/** The closest candidate within 2 edits (and under half the word), for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.min(2, Math.ceil(word.length / 2)) ? best : undefined;
}
