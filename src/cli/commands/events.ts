// strata events: a cluster's event history (replayed from the hub's store), then with --follow the live
// stream, resuming with Last-Event-ID after a dropped connection so nothing is missed or printed twice.
import { flag, outputOption, stringOption, type Command } from '../command.js';
import { ExitCode } from '../errors.js';
import { painter } from '../render/color.js';
import { eventLine } from '../render/events.js';

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
    try {
      for await (const event of ctx.client.events({
        cluster,
        lastEventId: '0',
        signal: stop.signal,
        // Without --follow: stop where the hub says the replay of stored events ends.
        ...(follow ? {} : { onLive: onAbort }),
      })) {
        if (event.cluster !== undefined && event.cluster !== cluster) continue;
        ctx.stdout.write(json ? `${JSON.stringify(event)}\n` : eventLine(event, paint));
      }
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
    return ctx.signal.aborted ? ExitCode.Interrupted : ExitCode.Ok;
  },
};
