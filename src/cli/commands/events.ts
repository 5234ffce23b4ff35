// strata events: a cluster's event history (replayed from the hub's store), then with --follow the live
// stream, resuming with Last-Event-ID after a dropped connection so nothing is missed or printed twice.
import { flag, outputOption, stringOption, type Command } from '../command.js';
import { ExitCode } from '../errors.js';
import { painter } from '../render/color.js';
import { eventLine } from '../render/events.js';

/**
 * The stream has no end-of-replay marker: without --follow, stop once it has been quiet this long after the
 * replay (stored events come out of the database in one burst).
 */
export const REPLAY_QUIET_MS = 750;

export const eventsCommand: Command = {
  path: ['events'],
  usage: 'strata events CLUSTER [--follow] [-o json]',
  summary: "a cluster's events (status changes, transitions, connection), oldest first",
  description:
    'With --follow, keeps printing live events until Ctrl-C. -o json prints one event object per line.',
  args: ['CLUSTER'],
  options: {
    follow: { type: 'boolean', short: 'f', description: 'keep printing new events' },
    output: outputOption(['text', 'json']),
  },
  examples: [
    'strata events dev',
    'strata events dev --follow',
    'strata events dev -o json | jq \'select(.kind=="pack.transition")\'',
  ],
  async run(ctx, { args, options }) {
    const cluster = args[0] ?? '';
    const follow = flag(options, 'follow');
    const json = stringOption(options, 'output') === 'json';
    const paint = painter(ctx.color);
    // The cluster must exist: the stream would otherwise just stay silent.
    await ctx.client.call('getCluster', { params: { cluster } });
    const stop = new AbortController();
    const onAbort = () => {
      stop.abort();
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let quiet: NodeJS.Timeout | undefined;
    const rearm = () => {
      if (follow) return;
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        stop.abort();
      }, REPLAY_QUIET_MS);
    };
    try {
      for await (const event of ctx.client.events({
        cluster,
        lastEventId: '0',
        signal: stop.signal,
        onOpen: rearm,
      })) {
        if (event.cluster !== undefined && event.cluster !== cluster) continue;
        ctx.stdout.write(json ? `${JSON.stringify(event)}\n` : eventLine(event, paint));
        rearm();
      }
    } finally {
      clearTimeout(quiet);
      ctx.signal.removeEventListener('abort', onAbort);
    }
    return ctx.signal.aborted ? ExitCode.Interrupted : ExitCode.Ok;
  },
};
