// strata profile outdated: which remote charts of a version have newer versions in their source now. The
// version itself keeps deploying the archives it pinned; publishing a new version with the newer chart is
// how an update is made (and attaching the old version again is the rollback).
import { outputOption, stringOption, type Command } from '../command.js';
import { CliError, CliErrorCode, ExitCode } from '../errors.js';
import { formatObject } from '../render/output.js';
import { terminalSafe } from '../render/terminal-text.js';
import { renderTable } from '../render/table.js';

export const outdatedCommand: Command = {
  path: ['profile', 'outdated'],
  usage: 'strata profile outdated NAME[@VERSION] [-o table|json|yaml]',
  summary: "list a version's remote charts that have newer versions in their repository or registry",
  description:
    'Asks each chart source now. Exit 0 when every pinned chart is the newest, 1 when some are outdated or a\n' +
    'source could not be asked.',
  args: ['NAME[@VERSION]'],
  options: { output: outputOption(['table', 'json', 'yaml']) },
  examples: ['strata profile outdated monitoring', 'strata profile outdated monitoring@1.2.0 -o json'],
  async run(ctx, { args, options }) {
    const ref = args[0] ?? '';
    const at = ref.lastIndexOf('@');
    const name = at > 0 ? ref.slice(0, at) : ref;
    let version = at > 0 ? ref.slice(at + 1) : undefined;
    if (version === undefined || version === '') {
      const versions = await ctx.client.call('listProfileVersions', { params: { profile: name } });
      version = (versions.filter((v) => v.published).at(-1) ?? versions.at(-1))?.version;
      if (version === undefined)
        throw new CliError(CliErrorCode.Api, `profile "${name}" has no versions`, { apiCode: 'NOT_FOUND' });
    }
    const charts = await ctx.client.call('getOutdatedCharts', { params: { profile: name, version } });
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') ctx.stdout.write(formatObject(charts, output));
    else if (charts.length === 0) ctx.stderr.write(`${name}@${version} has no remote charts\n`);
    else
      ctx.stdout.write(
        renderTable(
          ['PACK', 'CHART', 'PINNED', 'NEWER'],
          terminalSafe(charts).map((c) => [
            c.pack,
            c.chart,
            c.version,
            c.error !== undefined ? `? ${c.error}` : c.newer.length === 0 ? 'up to date' : c.newer.join(', '),
          ]),
        ),
      );
    return charts.some((c) => c.error !== undefined || c.newer.length > 0) ? ExitCode.Error : ExitCode.Ok;
  },
};
