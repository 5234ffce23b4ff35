// strata events: a cluster's event history (replayed from the hub's store), then with --follow the live
// stream, resuming with Last-Event-ID after a dropped connection so nothing is missed or printed twice.
// --profile and --pack keep only the events of those packs (and the cluster's own, like its connection).
import { flag, listOption, outputOption, stringOption, type Command, type Context } from '../command.js';
import { ExitCode } from '../errors.js';
import { painter } from '../render/color.js';
import { eventLine } from '../render/events.js';
import { jsonLine } from '../render/output.js';
import { isFiltered, matchesFilter, type PackFilter } from '../render/status.js';
import type { HubEvent } from '../types.js';
import { checkFilter } from './status.js';

/**
 * Which events to print. Events name their pack, not its profile: the profile comes from the cluster's
 * page, read again when an event names a pack the last read did not have (one attached since).
 */
class EventFilter {
  #profileOf = new Map<string, string>();

  constructor(
    private readonly ctx: Context,
    private readonly cluster: string,
    private readonly filter: PackFilter,
  ) {}

  async load(): Promise<void> {
    const page = await this.ctx.client.call('getClusterPage', { params: { cluster: this.cluster } });
    checkFilter(page, this.filter);
    this.#profileOf = new Map(page.packs.map((p) => [p.name, p.profile]));
  }

  async keeps(event: HubEvent): Promise<boolean> {
    if (!isFiltered(this.filter) || event.pack === undefined) return true;
    if (this.filter.profiles.length > 0 && !this.#profileOf.has(event.pack)) {
      await this.load();
      // Still unknown: a pack removed before this read; do not read again for each of its events.
      if (!this.#profileOf.has(event.pack)) this.#profileOf.set(event.pack, '');
    }
    // A pack no longer on the page (removed since) keeps the profile it had when it was last seen.
    const profile = this.#profileOf.get(event.pack) ?? '';
    return matchesFilter({ name: event.pack, profile }, this.filter);
  }
}

export const eventsCommand: Command = {
  path: ['events'],
  usage: 'strata events CLUSTER [--profile P]... [--pack NAME]... [--follow] [-o json]',
  summary: "a cluster's events (status changes, transitions, connection), oldest first",
  description:
    'With --follow, keeps printing live events until Ctrl-C. -o json prints one event object per line.\n' +
    "--profile and --pack (each repeatable) keep only those packs' events and the cluster's own.",
  args: ['CLUSTER'],
  options: {
    follow: { type: 'boolean', short: 'f', description: 'keep printing new events' },
    profile: {
      type: 'string',
      multiple: true,
      value: 'PROFILE',
      description: 'only the events of this attached profile’s packs (repeatable)',
    },
    pack: {
      type: 'string',
      multiple: true,
      value: 'NAME',
      description: 'only this pack’s events (repeatable)',
    },
    output: outputOption(['text', 'json']),
  },
  examples: [
    'strata events dev',
    'strata events dev --follow',
    'strata events dev --pack broken-web',
    'strata events dev -o json | jq \'select(.kind=="pack.transition")\'',
  ],
  async run(ctx, { args, options }) {
    const cluster = args[0] ?? '';
    const follow = flag(options, 'follow');
    const json = stringOption(options, 'output') === 'json';
    const paint = painter(ctx.color);
    const filter: PackFilter = {
      profiles: listOption(options, 'profile'),
      packs: listOption(options, 'pack'),
    };
    const keep = new EventFilter(ctx, cluster, filter);
    // The cluster must exist (the stream would otherwise just stay silent), and so must what the filter names.
    if (isFiltered(filter)) await keep.load();
    else await ctx.client.call('getCluster', { params: { cluster } });
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
        ...(ctx.sleep === undefined ? {} : { sleep: ctx.sleep }),
        // Without --follow: stop where the hub says the replay of stored events ends.
        ...(follow ? {} : { onLive: onAbort }),
      })) {
        if (event.cluster !== undefined && event.cluster !== cluster) continue;
        if (!(await keep.keeps(event))) continue;
        ctx.stdout.write(json ? jsonLine(event) : eventLine(event, paint));
      }
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
    return ctx.signal.aborted ? ExitCode.Interrupted : ExitCode.Ok;
  },
};
