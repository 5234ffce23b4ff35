// strata profile apply | list | get | validate. Validation is the hub's own (POST /profiles/validate), so the
// CLI can never accept a file the hub rejects or the other way round.
import { dirname, resolve } from 'node:path';
import { flag, outputOption, stringOption, type Command, type Context } from '../command.js';
import { CliError, CliErrorCode, ExitCode, usageError } from '../errors.js';
import { formatIssue } from '../client.js';
import { formatObject } from '../render/output.js';
import { renderTable } from '../render/table.js';
import { age } from '../render/time.js';
import { readInputFile } from './cluster.js';

const fileOption = {
  type: 'string',
  short: 'f',
  value: 'FILE',
  description: 'the profile file (- for stdin)',
} as const;

interface ProfileSource {
  readonly yaml: string;
  /** As the user typed it, so errors point at the file they know. */
  readonly file: string;
  /** Absolute: local chart paths resolve against it on a hub on this machine. */
  readonly baseDir: string;
}

async function readProfile(ctx: Context, file: string | undefined, where: string): Promise<ProfileSource> {
  if (file === undefined) throw usageError(`"${where}" needs -f FILE`);
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return { yaml: Buffer.concat(chunks).toString('utf8'), file: '<stdin>', baseDir: ctx.cwd };
  }
  const yaml = await readInputFile(ctx, file, 'profile file');
  if (yaml.trim() === '') throw new CliError(CliErrorCode.File, `profile file ${file} is empty`);
  return { yaml, file, baseDir: dirname(resolve(ctx.cwd, file)) };
}

const apply: Command = {
  path: ['profile', 'apply'],
  usage: 'strata profile apply -f FILE [--draft] [-o json|yaml]',
  summary: 'validate a profile file and store it as a new version (one per document)',
  description:
    "Local chart paths in the file are resolved on the hub against the file's folder, so a hub on another\n" +
    'machine needs charts from a repository or OCI registry. On errors, each is printed as\n' +
    'file:line:column path: message and the exit code is 1.',
  args: [],
  options: {
    filename: fileOption,
    draft: { type: 'boolean', description: 'store as a draft: not attached by default, can be replaced' },
    output: outputOption(['json', 'yaml']),
  },
  examples: [
    'strata profile apply -f examples/platform-tools.yaml',
    'cat monitoring.yaml | strata profile apply -f -',
  ],
  async run(ctx, { options }) {
    const source = await readProfile(ctx, stringOption(options, 'filename'), 'strata profile apply');
    const versions = await ctx.client.call('importProfile', {
      body: { ...source, ...(flag(options, 'draft') ? { draft: true } : {}) },
    });
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') {
      ctx.stdout.write(formatObject(versions, output));
      return ExitCode.Ok;
    }
    for (const v of versions) {
      const state = v.published ? 'published' : 'stored as a draft';
      ctx.stdout.write(
        `profile ${v.name}@${v.version} ${state} (${v.packs} pack${v.packs === 1 ? '' : 's'})\n`,
      );
    }
    return ExitCode.Ok;
  },
};

const list: Command = {
  path: ['profile', 'list'],
  usage: 'strata profile list [-o table|json|yaml]',
  summary: 'list profiles with their latest version',
  args: [],
  options: { output: outputOption(['table', 'json', 'yaml']) },
  examples: ['strata profile list'],
  async run(ctx, { options }) {
    const profiles = await ctx.client.call('listProfiles', {});
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') ctx.stdout.write(formatObject(profiles, output));
    else if (profiles.length === 0)
      ctx.stderr.write('no profiles; store one with `strata profile apply -f FILE`\n');
    else
      ctx.stdout.write(
        renderTable(
          ['NAME', 'TYPE', 'LATEST', 'VERSIONS'],
          profiles.map((p) => [p.name, p.type, p.latest, String(p.versions)]),
        ),
      );
    return ExitCode.Ok;
  },
};

/** `name@1.2.0` → ['name', '1.2.0']; `name` → ['name', undefined]. */
export function splitRef(ref: string): { name: string; version: string | undefined } {
  const at = ref.lastIndexOf('@');
  if (at <= 0) return { name: ref, version: undefined };
  const version = ref.slice(at + 1);
  if (version === '') throw usageError(`"${ref}": expected NAME@VERSION, the version is empty`);
  return { name: ref.slice(0, at), version };
}

const get: Command = {
  path: ['profile', 'get'],
  usage: 'strata profile get NAME[@VERSION] [-o yaml|json]',
  summary: 'print a stored profile version (default: the latest published) as YAML, or the API object',
  args: ['NAME[@VERSION]'],
  options: { output: outputOption(['yaml', 'json']) },
  examples: [
    'strata profile get monitoring',
    'strata profile get monitoring@1.2.0 -o json',
    'strata profile get infra > infra.yaml',
  ],
  async run(ctx, { args, options }) {
    const { name, version } = splitRef(args[0] ?? '');
    let chosen = version;
    if (chosen === undefined) {
      const versions = await ctx.client.call('listProfileVersions', { params: { profile: name } });
      const published = versions.filter((v) => v.published);
      chosen = (published.at(-1) ?? versions.at(-1))?.version;
      if (chosen === undefined)
        throw new CliError(CliErrorCode.Api, `profile "${name}" has no versions`, { apiCode: 'NOT_FOUND' });
    }
    const profile = await ctx.client.call('getProfileVersion', {
      params: { profile: name, version: chosen },
    });
    if (stringOption(options, 'output') === 'json') ctx.stdout.write(formatObject(profile, 'json'));
    else ctx.stdout.write(profile.yaml.endsWith('\n') ? profile.yaml : `${profile.yaml}\n`);
    return ExitCode.Ok;
  },
};

const versions: Command = {
  path: ['profile', 'versions'],
  usage: 'strata profile versions NAME [-o table|json|yaml]',
  summary: "list a profile's versions, oldest first",
  args: ['NAME'],
  options: { output: outputOption(['table', 'json', 'yaml']) },
  examples: ['strata profile versions monitoring'],
  async run(ctx, { args, options }) {
    const list = await ctx.client.call('listProfileVersions', { params: { profile: args[0] ?? '' } });
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') ctx.stdout.write(formatObject(list, output));
    else
      ctx.stdout.write(
        renderTable(
          ['VERSION', 'TYPE', 'PACKS', 'PUBLISHED', 'AGE'],
          list.map((v) => [
            v.version,
            v.type,
            String(v.packs),
            v.published ? 'yes' : 'draft',
            age(v.createdAt, ctx.now()),
          ]),
        ),
      );
    return ExitCode.Ok;
  },
};

const validate: Command = {
  path: ['profile', 'validate'],
  usage: 'strata profile validate -f FILE [-o json]',
  summary: "check a profile file with the hub's rules, without storing it",
  description: 'Prints each problem as file:line:column path: message and exits 1 when there is any.',
  args: [],
  options: { filename: fileOption, output: outputOption(['json']) },
  examples: [
    'strata profile validate -f examples/monitoring.yaml',
    'strata profile validate -f profile.yaml -o json',
  ],
  async run(ctx, { options }) {
    const source = await readProfile(ctx, stringOption(options, 'filename'), 'strata profile validate');
    const result = await ctx.client.call('validateProfile', { body: source });
    if (stringOption(options, 'output') === 'json') {
      ctx.stdout.write(formatObject(result, 'json'));
      return result.valid ? ExitCode.Ok : ExitCode.Error;
    }
    if (result.valid) {
      ctx.stdout.write(`${source.file}: valid\n`);
      return ExitCode.Ok;
    }
    const n = result.issues.length;
    throw new CliError(
      CliErrorCode.Api,
      `${source.file} is not a valid profile (${n} problem${n === 1 ? '' : 's'})`,
      {
        apiCode: 'PROFILE_INVALID',
        issues: result.issues.map((issue) => ({ formatted: formatIssue(issue) })),
      },
    );
  },
};

export const profileCommands: readonly Command[] = [apply, list, get, versions, validate];
