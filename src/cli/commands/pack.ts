// strata pack values|history|runs|retry: one pack of a cluster: what it deploys with, how its colour changed,
// each install, upgrade and retry with its own duration, and "try again now" for a red one. The same data as the pack detail in the UI.
import { outputOption, outputWidth, stringOption, type Command } from '../command.js';
import { ExitCode, usageError } from '../errors.js';
import { painter } from '../render/color.js';
import { formatObject } from '../render/output.js';
import { terminalSafe, terminalText } from '../render/terminal-text.js';
import { phaseBadge } from '../render/status.js';
import { renderTable } from '../render/table.js';
import { packPhaseDisplay } from '../../status/pack-phase.js';
import { formatPackReason } from '../../status/pack-reason.js';
import { formatElapsed } from '../../shared/duration.js';

const ARGS = ['CLUSTER', 'PACK'];
const params = (args: readonly string[]) => ({ cluster: args[0] ?? '', pack: args[1] ?? '' });

const values: Command = {
  path: ['pack', 'values'],
  usage: 'strata pack values CLUSTER PACK [-o yaml|json]',
  summary: 'what a pack deploys with on a cluster: its Helm values or its manifests, resolved',
  description:
    'Variables and macros are resolved for the cluster; sensitive values are masked (******) by the hub.\n' +
    '-o yaml (default) prints the values or manifests themselves; -o json prints the API object.',
  args: ARGS,
  options: { output: outputOption(['yaml', 'json']) },
  examples: ['strata pack values dev metrics-store', 'strata pack values dev echo -o json | jq .manifests'],
  async run(ctx, { args, options }) {
    const body = await ctx.client.call('getPackValues', { params: params(args) });
    if (stringOption(options, 'output') === 'json') ctx.stdout.write(formatObject(body, 'json'));
    else {
      // Values, manifests and NOTES are the chart's text: printed as text, never obeyed by the terminal.
      const yaml = terminalText(body.yaml, { multiline: true });
      const notes = body.notes === undefined ? undefined : terminalText(body.notes, { multiline: true });
      const source = body.chart ? `chart ${body.chart}, release ${body.releaseName ?? body.pack}, ` : '';
      ctx.stderr.write(
        terminalText(
          `# ${body.pack} (${body.type}) on ${params(args).cluster}: ${source}namespace ${body.namespace}, ` +
            `from ${body.profile} ${body.profileVersion}${body.masked ? '; sensitive values masked' : ''}`,
        ) + '\n',
      );
      ctx.stdout.write(yaml === '' ? '{}\n' : yaml.endsWith('\n') ? yaml : `${yaml}\n`);
      // The chart's notes, as `helm install` prints them; on stderr so stdout stays the values alone.
      if (notes !== undefined) ctx.stderr.write(`NOTES:\n${notes}\n`);
    }
    return ExitCode.Ok;
  },
};

const history: Command = {
  path: ['pack', 'history'],
  usage: 'strata pack history CLUSTER PACK [--limit N] [--before CURSOR] [-o table|json|yaml]',
  summary: "a pack's colour changes, oldest first, with the reason for each",
  description:
    'The newest 100 by default (--limit, at most 1000). When there are older ones, the command to see them\n' +
    '(--before CURSOR) is printed on stderr.',
  args: ARGS,
  options: {
    output: outputOption(['table', 'json', 'yaml']),
    limit: { type: 'string', value: 'N', description: 'how many transitions (default 100, at most 1000)' },
    before: {
      type: 'string',
      value: 'CURSOR',
      description: 'only those older than this (printed by a run before)',
    },
  },
  examples: [
    'strata pack history dev broken-web',
    'strata pack history dev echo -o json',
    'strata pack history dev echo --limit 20',
  ],
  async run(ctx, { args, options }) {
    const limit = wholeNumberOption(options, 'limit');
    const before = wholeNumberOption(options, 'before');
    const page = await ctx.client.call('getPackHistory', {
      params: params(args),
      query: { ...(limit === undefined ? {} : { limit }), ...(before === undefined ? {} : { before }) },
    });
    const { transitions } = page;
    if (page.next !== undefined) {
      const p = params(args);
      ctx.stderr.write(
        `# older transitions: strata pack history ${p.cluster} ${p.pack} --before ${String(page.next)}\n`,
      );
    }
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') {
      ctx.stdout.write(formatObject(transitions, output));
      return ExitCode.Ok;
    }
    if (transitions.length === 0) {
      ctx.stdout.write('No transitions yet.\n');
      return ExitCode.Ok;
    }
    const paint = painter(ctx.color);
    const badge = (phase: keyof typeof packPhaseDisplay) => phaseBadge(packPhaseDisplay[phase], paint);
    ctx.stdout.write(
      renderTable(
        ['TIME', 'FROM', 'TO', 'REASON'],
        terminalSafe(transitions).map((t) => [
          t.time,
          badge(t.from),
          badge(t.to),
          formatPackReason({ phase: t.to, condition: t.condition, reason: t.reason, message: t.message }),
        ]),
        { width: outputWidth(ctx) },
      ),
    );
    return ExitCode.Ok;
  },
};

const runs: Command = {
  path: ['pack', 'runs'],
  usage: 'strata pack runs CLUSTER PACK [--limit N] [--before CURSOR] [-o table|json|yaml]',
  summary: "a pack's runs (install, upgrade, retry, uninstall), oldest first, each with its own duration",
  description:
    'The status page shows only the current run; the hub keeps the last 20. The newest 10 by default (--limit,\n' +
    'at most 20). When there are older ones, the command to see them (--before CURSOR) is printed on stderr.',
  args: ARGS,
  options: {
    output: outputOption(['table', 'json', 'yaml']),
    limit: { type: 'string', value: 'N', description: 'how many runs (default 10, at most 20)' },
    before: {
      type: 'string',
      value: 'CURSOR',
      description: 'only those older than this (printed by a run before)',
    },
  },
  examples: ['strata pack runs dev broken-web', 'strata pack runs dev echo -o json'],
  async run(ctx, { args, options }) {
    const limit = wholeNumberOption(options, 'limit');
    const before = wholeNumberOption(options, 'before');
    const page = await ctx.client.call('getPackRuns', {
      params: params(args),
      query: { ...(limit === undefined ? {} : { limit }), ...(before === undefined ? {} : { before }) },
    });
    if (page.next !== undefined) {
      const p = params(args);
      ctx.stderr.write(
        `# older runs: strata pack runs ${p.cluster} ${p.pack} --before ${String(page.next)}\n`,
      );
    }
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') {
      ctx.stdout.write(formatObject(page.runs, output));
      return ExitCode.Ok;
    }
    if (page.runs.length === 0) {
      ctx.stdout.write('No runs yet.\n');
      return ExitCode.Ok;
    }
    const paint = painter(ctx.color);
    ctx.stdout.write(
      renderTable(
        ['RUN', 'REVISION', 'STARTED', 'DURATION', 'OUTCOME'],
        // An agent reports its runs: their text is printed, never obeyed by the terminal.
        terminalSafe(page.runs).map((r) => [
          r.kind,
          r.revision.slice(0, 12),
          r.startTime,
          r.endTime === undefined ? '-' : formatElapsed(Date.parse(r.endTime) - Date.parse(r.startTime)),
          r.outcome === undefined ? '-' : phaseBadge(packPhaseDisplay[r.outcome], paint),
        ]),
        { width: outputWidth(ctx) },
      ),
    );
    return ExitCode.Ok;
  },
};

/** A flag that must be a whole number from 1, or absent. */
function wholeNumberOption(options: Parameters<typeof stringOption>[0], name: string): number | undefined {
  const text = stringOption(options, name);
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(text))
    throw usageError(`--${name}: expected a whole number from 1, got "${text}"`);
  return Number(text);
}

const retry: Command = {
  path: ['pack', 'retry'],
  usage: 'strata pack retry CLUSTER PACK',
  summary: 'retry a failed pack now instead of waiting for its backoff (needs an operator token)',
  args: ARGS,
  options: {},
  examples: ['strata pack retry dev broken-web && strata status dev --wait'],
  async run(ctx, { args }) {
    const p = params(args);
    await ctx.client.call('retryPack', { params: p });
    ctx.stdout.write(`retry of pack "${p.pack}" on cluster "${p.cluster}" requested\n`);
    return ExitCode.Ok;
  },
};

export const packCommands: readonly Command[] = [values, history, runs, retry];
