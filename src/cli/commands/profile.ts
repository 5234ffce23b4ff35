// strata profile apply | list | get | validate. Validation is the hub's own (POST /profiles/validate), so the
// CLI can never accept a file the hub rejects or the other way round.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { flag, outputOption, stringOption, type Command, type Context } from '../command.js';
import { CliError, CliErrorCode, ExitCode, usageError } from '../errors.js';
import { formatIssue } from '../client.js';
import {
  ReferenceKind,
  bundleFiles,
  bundleFolder,
  bundleProfileText,
  checkProfileUpload,
  loadProfileText,
  readBundle,
  formatIssue as formatProfileIssue,
  type ProfileIssue,
  type ProfileUploadBody,
} from '../../profile/index.js';
import { operations, type Operations } from '../types.js';
import { formatObject } from '../render/output.js';
import { terminalSafe, terminalText } from '../render/terminal-text.js';
import { renderTable } from '../render/table.js';
import { age } from '../render/time.js';
import { uploadFileName } from '../../shared/file-name.js';
import { readInputFile } from './cluster.js';

const fileOption = {
  type: 'string',
  short: 'f',
  value: 'FILE',
  description: 'the profile file (- for stdin)',
} as const;

interface ProfileSource {
  /** As the user typed it, so errors point at the file they know. */
  readonly file: string;
  /** What to send: the YAML alone, or a bundle with every local chart and file the profile references. */
  readonly upload: ProfileUploadBody;
}

/**
 * Reads the profile and packs its local charts and files from the profile's folder (stdin: the current
 * folder), refusing any path that leaves it. The hub never reads a path: it gets the content.
 */
async function readProfile(ctx: Context, file: string | undefined, where: string): Promise<ProfileSource> {
  const read = await readProfileOrIssues(ctx, file, where);
  if ('source' in read) return read.source;
  const n = read.issues.length;
  // The hub's rules and the hub's answer (one loader): a file the CLI refuses, the hub would refuse too.
  throw new CliError(
    CliErrorCode.Api,
    `${read.shown} is not a valid profile (${n} problem${n === 1 ? '' : 's'})`,
    {
      apiCode: 'PROFILE_INVALID',
      issues: read.issues.map((issue) => ({ formatted: formatProfileIssue(issue) })),
    },
  );
}

/** readProfile, with the problems of a file its loader refuses returned rather than thrown. */
async function readProfileOrIssues(
  ctx: Context,
  file: string | undefined,
  where: string,
): Promise<{ source: ProfileSource } | { shown: string; issues: readonly ProfileIssue[] }> {
  if (file === undefined) throw usageError(`"${where}" needs -f FILE`);
  let yaml: string;
  let dir: string;
  let shown = file;
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    yaml = Buffer.concat(chunks).toString('utf8');
    dir = ctx.cwd;
    shown = '<stdin>';
  } else {
    yaml = await readInputFile(ctx, file, 'profile file');
    if (yaml.trim() === '') throw new CliError(CliErrorCode.File, `profile file ${file} is empty`);
    dir = dirname(resolve(ctx.cwd, file));
  }
  const packed = await bundleProfileText(yaml, { dir, displayName: shown });
  if (!packed.ok) return { shown, issues: packed.issues };
  return { source: { file: shown, upload: packed.value } };
}

/** The request for an upload: JSON with the YAML, or the bundle as `application/gzip`. */
function uploadCall(
  ctx: Context,
  operation: 'importProfile' | 'validateProfile',
  source: ProfileSource,
  draft: boolean,
) {
  const op = operations[operation];
  const bundle = source.upload.bundle;
  if (bundle === undefined)
    return ctx.client.request<Operations[typeof operation]['response']>(op.method, op.path, {
      body: {
        yaml: source.upload.yaml,
        file: uploadFileName(source.file),
        ...(draft ? { draft: true } : {}),
      },
    });
  return ctx.client.request<Operations[typeof operation]['response']>(op.method, op.path, {
    query: { file: uploadFileName(source.file), ...(draft ? { draft: 'true' } : {}) },
    raw: { contentType: 'application/gzip', data: bundle },
  });
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
    const versions = (await uploadCall(
      ctx,
      'importProfile',
      source,
      flag(options, 'draft'),
    )) as Operations['importProfile']['response'];
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') {
      ctx.stdout.write(formatObject(versions, output));
      return ExitCode.Ok;
    }
    for (const v of terminalSafe(versions)) {
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
          terminalSafe(profiles).map((p) => [p.name, p.type, p.latest, String(p.versions)]),
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
  usage: 'strata profile get NAME[@VERSION] [-o yaml|json] | NAME@VERSION --bundle -o FILE',
  summary: 'print a stored profile version (default: the latest published) as YAML, or the API object',
  description:
    'With --bundle, writes the version with every local chart and file it was published with (a .tgz that\n' +
    '`strata profile apply` and POST /profiles take back) to the file -o names.',
  args: ['NAME[@VERSION]'],
  options: {
    output: {
      type: 'string',
      short: 'o',
      value: 'FORMAT|FILE',
      description: 'output format: yaml, json; with --bundle, the file to write',
    },
    bundle: { type: 'boolean', description: 'get the version as a bundle (with its charts and files)' },
  },
  examples: [
    'strata profile get monitoring',
    'strata profile get monitoring@1.2.0 --bundle -o monitoring-1.2.0.tgz',
    'strata profile get monitoring@1.2.0 -o json',
    'strata profile get infra > infra.yaml',
  ],
  async run(ctx, { args, options }) {
    const { name, version } = splitRef(args[0] ?? '');
    const output = stringOption(options, 'output');
    if (flag(options, 'bundle')) {
      if (version === undefined) throw usageError('--bundle needs NAME@VERSION');
      if (output === undefined || output === '-')
        throw usageError('--bundle needs -o FILE (the bundle is binary)');
      const data = await downloadBundle(ctx, name, version);
      await writeFile(resolve(ctx.cwd, output), data);
      ctx.stdout.write(`wrote ${name}@${version} (${data.length} bytes) to ${output}\n`);
      return ExitCode.Ok;
    }
    if (output !== undefined && output !== 'yaml' && output !== 'json')
      throw usageError(`flag -o: "${output}" is not one of yaml, json (a file is for --bundle)`);
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
    if (output === 'json') ctx.stdout.write(formatObject(profile, 'json'));
    else {
      // The profile as written (a file holds no terminal controls, so this changes no byte of a sound one).
      const yaml = terminalText(profile.yaml, { multiline: true });
      ctx.stdout.write(yaml.endsWith('\n') ? yaml : `${yaml}\n`);
      // On stderr: stdout stays the profile as written, so it can be applied again as it is.
      const pinned = Object.entries(terminalSafe(profile.charts ?? {}));
      if (pinned.length > 0)
        ctx.stderr.write(
          `remote charts pinned at publish:\n${pinned.map(([chart, digest]) => `  ${chart} sha256:${digest}\n`).join('')}`,
        );
    }
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
          terminalSafe(list).map((v) => [
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
  usage: 'strata profile validate -f FILE [--server URL] [-o json]',
  summary: "check a profile file with the hub's rules, offline, and with the hub when one is configured",
  description:
    'Checks the file on this machine with the same code the hub runs (no hub needed, like `helm lint`), and\n' +
    'prints each problem as file:line:column path: message, exiting 1 when there is any. When a hub is\n' +
    'configured (--server, STRATA_SERVER or the config file), a file that passes is also sent to that hub,\n' +
    'which adds what only it knows (its outbound address policy for chart sources); the last line says which\n' +
    'checks ran. A configured hub that cannot be reached is an error with --server, a warning otherwise.',
  args: [],
  options: { filename: fileOption, output: outputOption(['json']) },
  examples: [
    'strata profile validate -f examples/monitoring.yaml',
    'strata profile validate -f profile.yaml --server http://hub.example:7400',
    'strata profile validate -f profile.yaml -o json',
  ],
  async run(ctx, { options }) {
    const json = stringOption(options, 'output') === 'json';
    const read = await readProfileOrIssues(ctx, stringOption(options, 'filename'), 'strata profile validate');
    if (!('source' in read)) {
      // Refused while reading its local files, by the same loader the hub runs: no hub is asked.
      if (json) {
        ctx.stdout.write(formatObject({ valid: false, issues: read.issues, checkedBy: ['local'] }, 'json'));
        return ExitCode.Error;
      }
      const n = read.issues.length;
      throw new CliError(
        CliErrorCode.Api,
        `${read.shown} is not a valid profile (${n} problem${n === 1 ? '' : 's'}; checked locally)`,
        {
          apiCode: 'PROFILE_INVALID',
          issues: read.issues.map((issue) => ({ formatted: formatProfileIssue(issue) })),
        },
      );
    }
    const { source } = read;
    const local = await checkLocally(source);
    const hubConfigured = ctx.config.serverSource !== 'default';
    let hub: Operations['validateProfile']['response'] | undefined;
    let unreachable: CliError | undefined;
    if (local.lines.length === 0 && hubConfigured) {
      try {
        hub = (await uploadCall(
          ctx,
          'validateProfile',
          source,
          false,
        )) as Operations['validateProfile']['response'];
      } catch (error) {
        // An explicit --server is a request to ask that hub; a hub from the environment or the config file
        // that is down does not make a locally valid file fail.
        if (!(error instanceof CliError) || error.code !== CliErrorCode.HubUnreachable) throw error;
        if (ctx.config.serverSource === 'flag') throw error;
        unreachable = error;
      }
    }
    const checkedBy = hub === undefined ? ['local'] : ['local', `hub ${ctx.config.server}`];
    const issues = hub === undefined ? local.lines : hub.issues.map((issue) => formatIssue(issue));
    const valid = issues.length === 0;
    if (unreachable !== undefined)
      ctx.stderr.write(`warning: ${unreachable.message}; checked locally only\n`);
    if (json) {
      ctx.stdout.write(formatObject({ valid, issues: hub?.issues ?? local.json, checkedBy }, 'json'));
      return valid ? ExitCode.Ok : ExitCode.Error;
    }
    const how =
      hub !== undefined
        ? `checked locally and by the hub at ${ctx.config.server}`
        : hubConfigured
          ? 'checked locally'
          : 'checked locally; no hub configured';
    if (valid) {
      ctx.stdout.write(`${source.file}: valid (${how})\n`);
      return ExitCode.Ok;
    }
    const n = issues.length;
    throw new CliError(
      CliErrorCode.Api,
      `${source.file} is not a valid profile (${n} problem${n === 1 ? '' : 's'}; ${how})`,
      { apiCode: 'PROFILE_INVALID', issues: issues.map((formatted) => ({ formatted })) },
    );
  },
};

/**
 * The hub's own check of the upload (checkProfileUpload, what POST /profiles/validate runs) on this machine:
 * the issues as the hub would answer them (`json`) and as lines. A malformed bundle is one problem naming it.
 */
async function checkLocally(source: ProfileSource): Promise<{ lines: string[]; json: unknown[] }> {
  const checked = await checkProfileUpload({ ...source.upload, shown: source.file });
  switch (checked.kind) {
    case 'ok':
      return { lines: [], json: [] };
    case 'issues':
      return { lines: checked.issues.map((issue) => formatProfileIssue(issue)), json: [...checked.issues] };
    case 'bundle':
      return { lines: [checked.message], json: [{ message: checked.message }] };
  }
}

const pull: Command = {
  path: ['profile', 'pull'],
  usage: 'strata profile pull NAME@VERSION DIR',
  summary: 'recreate the folder a version was published from: profile.yaml, its local charts and files',
  description:
    'Writes DIR/profile.yaml and every local chart (folders unpacked) and file the version was published\n' +
    'with, at the paths the profile names, so `strata profile apply -f DIR/profile.yaml` publishes it again.\n' +
    'DIR must not exist or be empty.',
  args: ['NAME@VERSION', 'DIR'],
  options: {},
  examples: ['strata profile pull monitoring@1.2.0 ./monitoring-1.2.0'],
  async run(ctx, { args }) {
    const { name, version } = splitRef(args[0] ?? '');
    if (version === undefined) throw usageError('profile pull needs NAME@VERSION');
    const dir = resolve(ctx.cwd, args[1] ?? '');
    const existing = await readdir(dir).catch(() => []);
    if (existing.length > 0)
      throw new CliError(CliErrorCode.File, `${args[1] ?? dir} exists and is not empty`);
    const bundle = await readBundle(await downloadBundle(ctx, name, version));
    const loaded = await loadProfileText(bundle.profile, {
      files: bundleFiles(bundle.entries),
      displayName: `${name}@${version}`,
      storedVersion: true,
    });
    const folders = new Set(
      (loaded.ok ? loaded.value : [])
        .flatMap((p) => p.references)
        .filter((r) => r.kind === ReferenceKind.Chart && !r.path.endsWith('.tgz'))
        .map((r) => r.path),
    );
    const files = await bundleFolder(bundle, folders);
    for (const file of files) {
      // Paths were checked by readBundle (no absolute or .. names), so each stays inside DIR.
      const target = join(dir, file.path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.content);
    }
    ctx.stdout.write(`wrote ${name}@${version} to ${args[1] ?? dir} (${files.length} files)\n`);
    return ExitCode.Ok;
  },
};

export const profileCommands: readonly Command[] = [apply, list, get, versions, validate, pull];

/** A stored version's bundle (GET …/versions/{version}/bundle), as the hub sends it. */
function downloadBundle(ctx: Context, name: string, version: string): Promise<Buffer> {
  const path = operations.getProfileBundle.path
    .replace('{profile}', encodeURIComponent(name))
    .replace('{version}', encodeURIComponent(version));
  return ctx.client.download(path, 'application/gzip');
}
