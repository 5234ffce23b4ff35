// strata status: the Cluster Profile page in a terminal, once, live (--watch, from the event stream: no
// polling), or as a pipeline gate (--wait: 0 when all packs are green, 1 on red, 2 on timeout).
import { parseDuration } from '../../profile/duration.js';
import { flag, outputOption, stringOption, type Command, type Context } from '../command.js';
import { CliError, CliErrorCode, ExitCode, usageError } from '../errors.js';
import { painter } from '../render/color.js';
import { LiveView } from '../render/live.js';
import { formatObject } from '../render/output.js';
import { packLines, progressBar, renderStatusPage, waitVerdict } from '../render/status.js';
import { formatElapsed } from '../render/time.js';
import type { ClusterPage } from '../types.js';

const DEFAULT_TIMEOUT = '10m';

type Format = 'table' | 'json' | 'yaml';

function render(ctx: Context, page: ClusterPage, format: Format, live: boolean): string {
  switch (format) {
    case 'json':
      return live ? `${JSON.stringify(page)}\n` : formatObject(page, 'json');
    case 'yaml':
      return live ? `---\n${formatObject(page, 'yaml')}` : formatObject(page, 'yaml');
    case 'table':
      return renderStatusPage(page, { paint: painter(ctx.color), now: ctx.now() });
  }
}

/** What changed for a person: the page without the clock (running times tick on a terminal only). */
const snapshotKey = (page: ClusterPage) => renderStatusPage(page, { paint: painter(false), now: 0 });

/** One line per change for `--wait` in a log: `[###-------] 3/10 packs green  ◐ 2 Processing …`. */
function progressLine(page: ClusterPage, ctx: Context): string {
  const green = page.packs.filter((p) => p.phase === 'success').length;
  const others = page.packs
    .filter((p) => p.phase !== 'success')
    .slice(0, 3)
    .map((p) => `${p.icon} ${p.name} ${p.label}`);
  const time = new Date(ctx.now()).toISOString().slice(11, 19);
  return `${time} ${progressBar(green, page.packs.length)} packs green${others.length > 0 ? `  ${others.join(', ')}` : ''}\n`;
}

type Outcome = { readonly exit: ExitCode; readonly error?: CliError };

async function live(
  ctx: Context,
  cluster: string,
  options: { format: Format; watch: boolean; wait: boolean; timeoutMs: number; timeoutText: string },
): Promise<ExitCode> {
  const stop = new AbortController();
  const onAbort = () => {
    stop.abort();
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  // Watching draws every change; waiting alone draws in place on a terminal and logs progress lines elsewhere.
  const view = new LiveView(ctx.stdout);
  const drawPages = options.watch || (ctx.stdout.isTTY && options.format === 'table');
  let page: ClusterPage | undefined;
  let outcome: Outcome | undefined;
  let failure: unknown;
  let lastProgress = '';

  const finish = (result: Outcome) => {
    outcome ??= result;
    stop.abort();
  };
  const draw = () => {
    if (page === undefined) return;
    if (drawPages) view.show(render(ctx, page, options.format, !view.inPlace), snapshotKey(page));
    else if (options.format === 'table') {
      const line = progressLine(page, ctx);
      if (line.slice(9) !== lastProgress) ctx.stderr.write(line);
      lastProgress = line.slice(9);
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
        page = await ctx.client.call('getClusterPage', { params: { cluster } });
        draw();
        if (options.wait) {
          const verdict = waitVerdict(page);
          if (verdict.done && verdict.ok) finish({ exit: ExitCode.Ok });
          else if (verdict.done) {
            const n = verdict.failed.length;
            finish({
              exit: ExitCode.Error,
              error: new CliError(
                CliErrorCode.Api,
                `cluster ${cluster}: ${n} pack${n === 1 ? '' : 's'} failed`,
                {
                  issues: packLines(verdict.failed).map((formatted) => ({ formatted })),
                  apiCode: 'PACK_FAILED',
                },
              ),
            });
          }
        }
      } while (changedMeanwhile() && !stop.signal.aborted);
    })().finally(() => {
      fetching = undefined;
    });
    return fetching;
  };

  const timer = options.wait
    ? setTimeout(() => {
        const verdict = page === undefined ? undefined : waitVerdict(page);
        const pending = verdict !== undefined && !verdict.done ? verdict.pending : [];
        const lines = packLines(pending);
        if (page !== undefined && !page.cluster.reachable) {
          lines.unshift(`  cluster unreachable: ${page.cluster.error ?? 'no answer from its API server'}`);
        }
        const n = pending.length;
        finish({
          exit: ExitCode.Timeout,
          error: new CliError(
            CliErrorCode.Api,
            `timed out after ${options.timeoutText} waiting for cluster ${cluster}: ${n} pack${n === 1 ? '' : 's'} not green`,
            {
              issues: lines.map((formatted) => ({ formatted })),
              exitCode: ExitCode.Timeout,
              apiCode: 'WAIT_TIMEOUT',
            },
          ),
        });
      }, options.timeoutMs)
    : undefined;
  // Running times tick on a terminal; this redraws from the last page and never calls the hub.
  const ticker =
    view.inPlace && options.format === 'table' && drawPages ? setInterval(draw, 1000) : undefined;

  try {
    const events = ctx.client.events({
      cluster,
      signal: stop.signal,
      // After the stream is open (so no change can fall between the read and the subscription), and again
      // after every reconnect.
      onOpen: () => refresh(),
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
    if (page !== undefined) draw();
    view.end();
  }
  if (failure !== undefined)
    throw failure instanceof Error ? failure : new Error('the status page could not be read');
  if (outcome === undefined) return ExitCode.Interrupted;
  // A pipeline reading --wait's stdout gets the final page once (it was drawn live only on a terminal).
  if (!drawPages && page !== undefined) ctx.stdout.write(render(ctx, page, options.format, false));
  if (outcome.error) throw outcome.error;
  return outcome.exit;
}

export const statusCommand: Command = {
  path: ['status'],
  usage: 'strata status CLUSTER [-o table|json|yaml] [--watch] [--wait [--timeout DURATION]]',
  summary: "a cluster's packs in install order with their status, progress and why they are not green",
  description:
    'Each pack shows its icon and label (○ Onboarding, ◐ Processing, ✓ Success, ✗ Failed), a progress bar\n' +
    'over the resources it owns, how long it took (or has been running) and, when not green, the reason.\n' +
    '--watch redraws in place as the hub pushes changes (on a pipe: one snapshot per change; with -o json:\n' +
    'one page per line). --wait exits 0 once every pack is green on a reachable cluster, 1 as soon as a pack\n' +
    'is red (listing the failed packs and why), 2 when --timeout passes first (listing what is not green).',
  args: ['CLUSTER'],
  options: {
    output: outputOption(['table', 'json', 'yaml']),
    watch: {
      type: 'boolean',
      short: 'w',
      description: 'keep showing the page as it changes (Ctrl-C to stop)',
    },
    wait: {
      type: 'boolean',
      description: 'exit when all packs are green (0), one is red (1) or on timeout (2)',
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
    'strata status dev -o json | jq ".packs[] | {name, phase, message}"',
  ],
  async run(ctx, { args, options }) {
    const cluster = args[0] ?? '';
    const format = (stringOption(options, 'output') ?? 'table') as Format;
    const watch = flag(options, 'watch');
    const wait = flag(options, 'wait');
    const timeoutText = stringOption(options, 'timeout');
    if (timeoutText !== undefined && !wait) throw usageError('--timeout needs --wait');
    const timeoutMs = parseDuration(timeoutText ?? DEFAULT_TIMEOUT);
    if (timeoutMs === undefined) {
      throw usageError(`--timeout ${timeoutText ?? ''}: expected a duration like 90s, 10m or 1h30m`);
    }
    if (!watch && !wait) {
      const page = await ctx.client.call('getClusterPage', { params: { cluster } });
      ctx.stdout.write(render(ctx, page, format, false));
      return ExitCode.Ok;
    }
    return live(ctx, cluster, {
      format,
      watch,
      wait,
      timeoutMs,
      timeoutText: timeoutText ?? formatElapsed(timeoutMs),
    });
  },
};
