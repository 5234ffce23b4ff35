// strata attach | detach. Attaching a profile that is already attached updates it, after printing the
// per-pack diff the change makes (the hub's preview), so nothing changes on a cluster unannounced.
import { flag, listOption, outputOption, stringOption, type Command, type Context } from '../command.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { painter } from '../render/color.js';
import { formatObject } from '../render/output.js';
import { terminalSafe, terminalText } from '../render/terminal-text.js';
import type { PackDiff } from '../types.js';
import { splitRef } from './profile.js';

/** `--set a=b --set c=d=e` → {a: 'b', c: 'd=e'}. */
export function parseSets(sets: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw usageError(`--set ${set}: expected NAME=VALUE`);
    values[set.slice(0, eq)] = set.slice(eq + 1);
  }
  return values;
}

const marks: Record<PackDiff['change'], { mark: string; style: 'green' | 'red' | 'yellow' | 'dim' }> = {
  added: { mark: '+', style: 'green' },
  removed: { mark: '-', style: 'red' },
  changed: { mark: '~', style: 'yellow' },
  unchanged: { mark: '=', style: 'dim' },
};

export function renderDiff(diff: readonly PackDiff[], color: boolean): string {
  const paint = painter(color);
  if (diff.length === 0) return 'no packs\n';
  return (
    terminalSafe(diff)
      .map((d) => {
        const version =
          d.fromVersion !== undefined && d.toVersion !== undefined
            ? ` ${d.fromVersion} → ${d.toVersion}`
            : '';
        const head = paint.paint(
          marks[d.change].style,
          `  ${marks[d.change].mark} ${d.profile}/${d.pack} (${d.change})${version}`,
        );
        return [head, ...(d.changes ?? []).map((c) => `      ${c}`)].join('\n');
      })
      .join('\n') + '\n'
  );
}

async function update(
  ctx: Context,
  target: {
    cluster: string;
    profile: string;
    version: string | undefined;
    values: Record<string, string> | undefined;
  },
  dryRun: boolean,
): Promise<{ diff: readonly PackDiff[]; applied: boolean }> {
  const body = {
    ...(target.version === undefined ? {} : { version: target.version }),
    ...(target.values === undefined ? {} : { values: target.values }),
  };
  const params = { cluster: target.cluster, profile: target.profile };
  const diff = await ctx.client.call('previewAttachmentUpdate', { params, body });
  ctx.stdout.write(
    `profile ${target.profile} is already attached to ${target.cluster}; changes:\n${renderDiff(diff, ctx.color)}`,
  );
  if (dryRun) return { diff, applied: false };
  if (diff.every((d) => d.change === 'unchanged') && target.values === undefined)
    return { diff, applied: false };
  await ctx.client.call('updateAttachment', { params, body });
  return { diff, applied: true };
}

const attach: Command = {
  path: ['attach'],
  usage: 'strata attach CLUSTER PROFILE[@VERSION] [--set NAME=VALUE]... [--dry-run] [-o json|yaml]',
  summary:
    'attach a profile version to a cluster (default: the latest published); its packs start installing',
  description:
    'If the profile is already attached, the attachment is updated to the version and values given, after\n' +
    'printing the per-pack diff (+ added, - removed, ~ changed). Values given with --set are merged over the\n' +
    'stored ones. Follow the installation with `strata status CLUSTER --watch`.\n' +
    'Rollback: attach the older version again (`strata attach dev monitoring@1.1.0`): a published version\n' +
    'renders only what it was published with (its local charts and files, and its remote charts as pinned),\n' +
    'so it deploys exactly what it deployed before.',
  args: ['CLUSTER', 'PROFILE[@VERSION]'],
  options: {
    set: {
      type: 'string',
      multiple: true,
      value: 'NAME=VALUE',
      description: 'a profile variable (repeatable)',
    },
    'dry-run': { type: 'boolean', description: 'for an attached profile: print the diff, change nothing' },
    output: outputOption(['json', 'yaml']),
  },
  examples: [
    'strata attach dev platform-tools',
    'strata attach dev monitoring@1.2.0 --set retention=15d --set replicas=2',
    'strata attach dev monitoring@1.3.0 --dry-run',
    'strata attach dev monitoring@1.2.0   # roll back from 1.3.0',
  ],
  async run(ctx, { args, options }) {
    const cluster = args[0] ?? '';
    const { name: profile, version } = splitRef(args[1] ?? '');
    const sets = listOption(options, 'set');
    const values = sets.length === 0 ? undefined : parseSets(sets);
    const output = stringOption(options, 'output');
    const dryRun = flag(options, 'dry-run');
    try {
      if (dryRun) throw new AlreadyAttached();
      const attachment = await ctx.client.call('attachProfile', {
        params: { cluster },
        body: {
          profile,
          ...(version === undefined ? {} : { version }),
          ...(values === undefined ? {} : { values }),
        },
      });
      if (output === 'json' || output === 'yaml') ctx.stdout.write(formatObject(attachment, output));
      else
        ctx.stdout.write(
          `${terminalText(`profile ${attachment.profile}@${attachment.version} attached to cluster ${cluster}`)}\n`,
        );
      return ExitCode.Ok;
    } catch (error) {
      const exists =
        error instanceof AlreadyAttached ||
        (error instanceof CliError && error.apiCode === 'ATTACHMENT_EXISTS');
      if (!exists) throw error;
    }
    const { applied } = await update(ctx, { cluster, profile, version, values }, dryRun);
    if (applied)
      ctx.stdout.write(
        `attachment of ${profile} on ${cluster} updated${version === undefined ? '' : ` to ${version}`}\n`,
      );
    else if (!dryRun) ctx.stdout.write('nothing to change\n');
    return ExitCode.Ok;
  },
};

/** --dry-run goes straight to the preview (which 404s when the profile is not attached). */
class AlreadyAttached extends Error {
  override readonly name = 'AlreadyAttached';
}

const detach: Command = {
  path: ['detach'],
  usage: 'strata detach CLUSTER PROFILE',
  summary: 'detach a profile: its packs are uninstalled in reverse install order',
  args: ['CLUSTER', 'PROFILE'],
  options: {},
  examples: ['strata detach dev monitoring', 'strata detach dev monitoring && strata status dev --wait'],
  async run(ctx, { args }) {
    const [cluster = '', profile = ''] = args;
    await ctx.client.call('detachProfile', { params: { cluster, profile } });
    ctx.stdout.write(
      `profile ${profile} detached from cluster ${cluster}; its packs are being uninstalled\n`,
    );
    return ExitCode.Ok;
  },
};

export const attachCommands: readonly Command[] = [attach, detach];
