// strata status: the Cluster Profile page in a terminal, once, live (--watch, from the event stream: no
// polling), or as a pipeline gate (--wait: 0 when all packs are green, 1 on red, 2 on timeout). --profile
// and --pack narrow the page and what --wait waits on, so a pipeline can gate on its own profile while
// another profile's pack is red.
import { formatElapsed, parseDuration } from '../../shared/duration.js';
import { closest } from '../args.js';
import {
  flag,
  listOption,
  outputOption,
  outputWidth,
  stringOption,
  type Command,
  type Context,
} from '../command.js';
import { CliError, CliErrorCode, ExitCode, usageError } from '../errors.js';
import { painter } from '../render/color.js';
import { LiveView } from '../render/live.js';
import { formatObject, jsonLine } from '../render/output.js';
import { terminalText } from '../render/terminal-text.js';
import {
  clockTime,
  describeFilter,
  filterPage,
  isFiltered,
  packLines,
  progressBar,
  renderStatusPage,
  waitVerdict,
  type PackFilter,
} from '../render/status.js';
import type { ClusterPage } from '../types.js';

const DEFAULT_TIMEOUT = '10m';

type Format = 'table' | 'json' | 'yaml';

/** What the command shows: the (filtered) page, and under --wait what it waited on. */
export interface View {
  readonly page: ClusterPage;
  readonly totalPacks: number;
  readonly filter: PackFilter;
  readonly wait: boolean;
  /** The hub stopped answering at this time: the page is the last known. */
  readonly hubDownSince?: number | undefined;
}

/**
 * `-o json|yaml`: the API's page (its packs filtered), plus, with --wait, what was waited on, so a
 * pipeline's log says which profiles and packs gated it, and while the hub is down since when.
 */
function document(view: View): unknown {
  // --watch -o json: a reader of the lines must be able to tell a stale page from a live one.
  const hub =
    view.hubDownSince === undefined ? {} : { hubUnreachableSince: new Date(view.hubDownSince).toISOString() };
  if (!view.wait) return { ...view.page, ...hub };
  return {
    ...view.page,
    ...hub,
    waitedOn: {
      profiles:
        view.filter.profiles.length > 0
          ? [...view.filter.profiles]
          : [...new Set(view.page.packs.map((p) => p.profile))],
      packs: view.page.packs.map((p) => p.name),
    },
  };
}

function render(ctx: Context, view: View, format: Format, live: boolean): string {
  switch (format) {
    case 'json':
      return live ? jsonLine(document(view)) : formatObject(document(view), 'json');
    case 'yaml':
      return live ? `---\n${formatObject(document(view), 'yaml')}` : formatObject(document(view), 'yaml');
    case 'table':
      return renderStatusPage(view.page, {
        paint: painter(ctx.color),
        now: ctx.now(),
        width: outputWidth(ctx),
        filter: view.filter,
        totalPacks: view.totalPacks,
        ...(view.hubDownSince === undefined ? {} : { hubDownSince: view.hubDownSince }),
      });
  }
}

/** What changed for a person: the page without the clock (running times tick on a terminal only). */
const snapshotKey = (view: View) =>
  `${view.hubDownSince ?? ''}\n${renderStatusPage(view.page, { paint: painter(false), now: 0 })}`;

/** One line per change for `--wait` in a log: `[###-------] 3/10 packs green  ◐ 2 Processing …`. */
function progressLine(page: ClusterPage, ctx: Context): string {
  const green = page.packs.filter((p) => p.phase === 'success').length;
  const others = page.packs
    .filter((p) => p.phase !== 'success')
    .slice(0, 3)
    .map((p) => terminalText(`${p.icon} ${p.name} ${p.label}`));
  return `${clockTime(ctx.now())} ${progressBar(green, page.packs.length)} packs green${others.length > 0 ? `  ${others.join(', ')}` : ''}\n`;
}

/** A named profile or pack that is not on the cluster is a typo or a wrong cluster: say so, do not wait. */
export function checkFilter(page: ClusterPage, filter: PackFilter): void {
  const attached = [
    ...new Set([...page.attachments.map((a) => a.profile), ...page.packs.map((p) => p.profile)]),
  ];
  for (const profile of filter.profiles) {
    if (attached.includes(profile)) continue;
    const close = closest(profile, attached);
    throw new CliError(
      CliErrorCode.Api,
      `--profile ${profile}: no such profile is attached to cluster ${page.cluster.name}` +
        (close === undefined ? '' : `; did you mean "${close}"?`),
      { hint: `attached: ${attached.length === 0 ? 'none' : attached.join(', ')}` },
    );
  }
  const names = page.packs.map((p) => p.name);
  for (const pack of filter.packs) {
    if (names.includes(pack)) continue;
    const close = closest(pack, names);
    throw new CliError(
      CliErrorCode.Api,
      `--pack ${pack}: cluster ${page.cluster.name} has no such pack` +
        (close === undefined ? '' : `; did you mean "${close}"?`),
    );
  }
}

type Outcome = { readonly exit: ExitCode; readonly error?: CliError };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `--wait` ran out of time: what is not green (only those), and why the rest cannot count. */
export function timeoutError(view: View | undefined, cluster: string, timeoutText: string): CliError {
  const packs = view?.page.packs ?? [];
  const notGreen = packs.filter((p) => p.phase !== 'success');
  const lastKnownGreen = packs.filter((p) => p.phase === 'success' && p.stale).length;
  const lines = packLines(notGreen);
  const unreachable = view !== undefined && !view.page.cluster.reachable;
  if (unreachable) {
    const why = view.page.cluster.error ?? 'no answer from its API server';
    lines.unshift(
      `  cluster unreachable: ${why}` +
        (lastKnownGreen > 0 ? ` (${plural(lastKnownGreen, 'green pack')} only last known)` : ''),
    );
  }
  if (view?.hubDownSince !== undefined) {
    lines.unshift(`  hub unreachable since ${clockTime(view.hubDownSince)}: the page is the last known`);
  }
  const scope = view !== undefined && isFiltered(view.filter) ? ` (${describeFilter(view.filter)})` : '';
  const what =
    view === undefined
      ? 'the hub never answered'
      : notGreen.length > 0
        ? `${plural(notGreen.length, 'pack')} not green`
        : unreachable
          ? 'the cluster is unreachable'
          : 'the hub is unreachable';
  return new CliError(
    CliErrorCode.Api,
    `timed out after ${timeoutText} waiting for cluster ${cluster}${scope}: ${what}`,
    {
      issues: lines.map((formatted) => ({ formatted })),
      exitCode: ExitCode.Timeout,
      apiCode: 'WAIT_TIMEOUT',
    },
  );
}

const isHubUnreachable = (error: unknown) =>
  error instanceof CliError && error.code === CliErrorCode.HubUnreachable;

async function live(
  ctx: Context,
  cluster: string,
  options: {
    format: Format;
    watch: boolean;
    wait: boolean;
    timeoutMs: number;
    timeoutText: string;
    filter: PackFilter;
  },
): Promise<ExitCode> {
  const stop = new AbortController();
  const onAbort = () => {
    stop.abort();
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  // Watching draws every change; waiting alone draws in place on a terminal and logs progress lines elsewhere.
  const out = new LiveView(ctx.stdout);
  const drawPages = options.watch || (ctx.stdout.isTTY && options.format === 'table');
  let view: View | undefined;
  let hubDownSince: number | undefined;
  let outcome: Outcome | undefined;
  let failure: unknown;
  let lastProgress = '';

  const finish = (result: Outcome) => {
    outcome ??= result;
    stop.abort();
  };
  const draw = () => {
    if (view === undefined) return;
    view = { ...view, hubDownSince };
    if (drawPages) out.show(render(ctx, view, options.format, !out.inPlace), snapshotKey(view));
    else if (options.format === 'table') {
      const line = progressLine(view.page, ctx);
      if (line.slice(9) !== lastProgress) ctx.stderr.write(line);
      lastProgress = line.slice(9);
    }
  };
  const judge = (page: ClusterPage) => {
    const verdict = waitVerdict(page);
    if (verdict.done && verdict.ok) finish({ exit: ExitCode.Ok });
    else if (verdict.done) {
      const n = verdict.failed.length;
      const scope = isFiltered(options.filter) ? ` (${describeFilter(options.filter)})` : '';
      finish({
        exit: ExitCode.Error,
        error: new CliError(CliErrorCode.Api, `cluster ${cluster}${scope}: ${plural(n, 'pack')} failed`, {
          issues: packLines(verdict.failed).map((formatted) => ({ formatted })),
          apiCode: 'PACK_FAILED',
        }),
      });
    }
  };

  // Re-reading the page on each event (coalesced) rather than patching it keeps the page exactly the API's.
  let fetching: Promise<void> | undefined;
  const pending = { again: false };
  // A function, so the check reads the flag as events set it during the fetch.
  const changedMeanwhile = () => pending.again;
  const refresh = (): Promise<void> => {
    if (fetching) {
      pending.again = true;
      return fetching;
    }
    fetching = (async () => {
      do {
        pending.again = false;
        let full: ClusterPage;
        try {
          full = await ctx.client.call('getClusterPage', { params: { cluster } });
        } catch (error) {
          // The stream notices too and reconnects; until then the page shown is the last known.
          if (view !== undefined && isHubUnreachable(error)) {
            hubDownSince ??= ctx.now();
            draw();
            return;
          }
          throw error;
        }
        if (view === undefined) checkFilter(full, options.filter);
        hubDownSince = undefined;
        const page = filterPage(full, options.filter);
        view = { page, totalPacks: full.packs.length, filter: options.filter, wait: options.wait };
        draw();
        if (options.wait) judge(page);
      } while (changedMeanwhile() && !stop.signal.aborted);
    })().finally(() => {
      fetching = undefined;
    });
    return fetching;
  };

  const timer = options.wait
    ? setTimeout(() => {
        finish({ exit: ExitCode.Timeout, error: timeoutError(view, cluster, options.timeoutText) });
      }, options.timeoutMs)
    : undefined;
  // Running times tick on a terminal; this redraws from the last page and never calls the hub.
  const ticker = out.inPlace && options.format === 'table' && drawPages ? setInterval(draw, 1000) : undefined;

  try {
    const events = ctx.client.events({
      cluster,
      signal: stop.signal,
      ...(ctx.sleep === undefined ? {} : { sleep: ctx.sleep }),
      // After the stream is open (so no change can fall between the read and the subscription), and again
      // after every reconnect (which resumes with Last-Event-ID: the missed events replay).
      onOpen: () => refresh(),
      onDrop: () => {
        if (hubDownSince !== undefined) return;
        hubDownSince = ctx.now();
        draw();
      },
    });
    for await (const event of events) {
      if (event.cluster !== undefined && event.cluster !== cluster) continue;
      refresh().catch((error: unknown) => {
        failure ??= error;
        stop.abort();
      });
    }
  } catch (error) {
    if (!stop.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    clearInterval(ticker);
    ctx.signal.removeEventListener('abort', onAbort);
    await fetching?.catch(() => undefined);
    if (view !== undefined) draw();
    out.end();
  }
  if (failure !== undefined)
    throw failure instanceof Error ? failure : new Error('the status page could not be read');
  if (outcome === undefined) return ExitCode.Interrupted;
  // A pipeline reading --wait's stdout gets the final page once (it was drawn live only on a terminal).
  if (!drawPages && view !== undefined) ctx.stdout.write(render(ctx, view, options.format, false));
  if (outcome.error) throw outcome.error;
  return outcome.exit;
}

export const statusCommand: Command = {
  path: ['status'],
  usage:
    'strata status CLUSTER [--profile P]... [--pack NAME]... [-o table|json|yaml] [--watch] [--wait [--timeout DURATION]]',
  summary: "a cluster's packs in install order with their status, progress and why they are not green",
  description:
    'Each pack shows its icon and label (○ Onboarding, ◐ Processing, ✓ Success, ✗ Failed), a progress bar\n' +
    'over the resources it owns, how long it took (or has been running) and, when not green, the reason.\n' +
    '--profile and --pack (each repeatable) show only those packs, and --wait then waits only on them.\n' +
    '--watch redraws in place as the hub pushes changes (on a pipe: one snapshot per change; with -o json:\n' +
    'one page per line); when the hub stops answering it says so and shows the last known page until the\n' +
    'hub is back. --wait exits 0 once every pack is green on a reachable cluster, 1 as soon as a pack is red\n' +
    '(listing the failed packs and why), 2 when --timeout passes first (listing what is not green); with\n' +
    '-o json|yaml the page then says what was waited on (waitedOn).',
  args: ['CLUSTER'],
  options: {
    output: outputOption(['table', 'json', 'yaml']),
    profile: {
      type: 'string',
      multiple: true,
      value: 'PROFILE',
      description: 'only the packs of this attached profile (repeatable)',
    },
    pack: {
      type: 'string',
      multiple: true,
      value: 'NAME',
      description: 'only this pack (repeatable)',
    },
    watch: {
      type: 'boolean',
      short: 'w',
      description: 'keep showing the page as it changes (Ctrl-C to stop)',
    },
    wait: {
      type: 'boolean',
      description: 'exit when all packs shown are green (0), one is red (1) or on timeout (2)',
    },
    timeout: {
      type: 'string',
      value: 'DURATION',
      description: `with --wait: how long (default ${DEFAULT_TIMEOUT}; e.g. 90s, 5m, 1h)`,
    },
  },
  examples: [
    'strata status dev',
    'strata status dev --watch',
    'strata status dev --wait --timeout 15m   # a pipeline gate',
    'strata status dev --wait --profile monitoring   # gate on one profile only',
    'strata status dev -o json | jq ".packs[] | {name, phase, message}"',
  ],
  async run(ctx, { args, options }) {
    const cluster = args[0] ?? '';
    const format = (stringOption(options, 'output') ?? 'table') as Format;
    const watch = flag(options, 'watch');
    const wait = flag(options, 'wait');
    const filter: PackFilter = {
      profiles: listOption(options, 'profile'),
      packs: listOption(options, 'pack'),
    };
    const timeoutText = stringOption(options, 'timeout');
    if (timeoutText !== undefined && !wait) throw usageError('--timeout needs --wait');
    const timeoutMs = parseDuration(timeoutText ?? DEFAULT_TIMEOUT);
    if (timeoutMs === undefined) {
      throw usageError(`--timeout ${timeoutText ?? ''}: expected a duration like 90s, 10m or 1h30m`);
    }
    if (!watch && !wait) {
      const full = await ctx.client.call('getClusterPage', { params: { cluster } });
      checkFilter(full, filter);
      const view: View = { page: filterPage(full, filter), totalPacks: full.packs.length, filter, wait };
      ctx.stdout.write(render(ctx, view, format, false));
      return ExitCode.Ok;
    }
    return live(ctx, cluster, {
      format,
      watch,
      wait,
      timeoutMs,
      timeoutText: timeoutText ?? formatElapsed(timeoutMs),
      filter,
    });
  },
};
