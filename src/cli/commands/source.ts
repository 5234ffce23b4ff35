// strata source add | list | rm: the chart sources (Helm repositories, OCI registries) the hub fetches remote
// charts from when a profile version is published, with their credentials. The password is read from stdin
// (--password-stdin) or a file, never from argv where `ps` and shell history would keep it.
import { flag, outputOption, stringOption, type Command } from '../command.js';
import { CliError, CliErrorCode, ExitCode, usageError } from '../errors.js';
import { formatObject } from '../render/output.js';
import { terminalSafe, terminalText } from '../render/terminal-text.js';
import { renderTable } from '../render/table.js';
import { readInputFile } from './cluster.js';

const add: Command = {
  path: ['source', 'add'],
  usage:
    'strata source add NAME --url URL [--username U (--password-stdin | --password-file F)] [--ca-file F] ' +
    '[--insecure-skip-tls-verify] [--plain-http]',
  summary: 'add or replace a chart source (Helm repository or OCI registry) with its credentials (admin)',
  description:
    'A remote chart whose URL starts with the source URL (at a / boundary, the longest match wins;\n' +
    'oci://host and https://host name the same registry) is fetched with these credentials when a profile\n' +
    'version is published. The hub stores the password and CA encrypted and never shows them again.',
  args: ['NAME'],
  options: {
    url: {
      type: 'string',
      value: 'URL',
      description: 'https://host[/path], oci://host[/path] or http://… (required)',
    },
    username: { type: 'string', value: 'USER', description: 'the user to log in as' },
    'password-stdin': { type: 'boolean', description: 'read the password from standard input' },
    'password-file': { type: 'string', value: 'FILE', description: 'read the password from a file' },
    'ca-file': { type: 'string', value: 'FILE', description: "PEM CA certificate(s) for the source's TLS" },
    'insecure-skip-tls-verify': { type: 'boolean', description: "do not check the source's TLS certificate" },
    'plain-http': { type: 'boolean', description: 'an OCI registry over plain HTTP' },
    output: outputOption(['json', 'yaml']),
  },
  examples: [
    'strata source add internal --url https://charts.internal.example.com --username ci --password-stdin < pw',
    'strata source add registry --url oci://registry.example.com/charts --username robot --password-stdin --ca-file ca.pem',
  ],
  async run(ctx, { args, options }) {
    const name = args[0] ?? '';
    const url = stringOption(options, 'url');
    if (url === undefined) throw usageError('"strata source add" needs --url URL');
    const username = stringOption(options, 'username');
    const passwordFile = stringOption(options, 'password-file');
    const fromStdin = flag(options, 'password-stdin');
    if (fromStdin && passwordFile !== undefined)
      throw usageError('--password-stdin and --password-file: give the password one way');
    let password: string | undefined;
    if (fromStdin) password = await readStdin();
    else if (passwordFile !== undefined) password = await readInputFile(ctx, passwordFile, 'password file');
    // A trailing newline is the file's or the pipe's, not the password's (as `docker login --password-stdin`).
    password = password?.replace(/\r?\n$/, '');
    if (password !== undefined && username === undefined) throw usageError('a password needs --username');
    if (password === '') throw new CliError(CliErrorCode.File, 'the password is empty');
    const caFile = stringOption(options, 'ca-file');
    const caPem = caFile === undefined ? undefined : await readInputFile(ctx, caFile, 'CA file');
    const saved = await ctx.client.call('putSource', {
      body: {
        name,
        url,
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
        ...(caPem === undefined ? {} : { caPem }),
        ...(flag(options, 'insecure-skip-tls-verify') ? { insecureSkipTlsVerify: true } : {}),
        ...(flag(options, 'plain-http') ? { plainHttp: true } : {}),
      },
    });
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') ctx.stdout.write(formatObject(saved, output));
    else ctx.stdout.write(`${terminalText(`source ${saved.name} saved (${saved.url})`)}\n`);
    return ExitCode.Ok;
  },
};

const list: Command = {
  path: ['source', 'list'],
  usage: 'strata source list [-o table|json|yaml]',
  summary: 'list chart sources (never their passwords) (admin)',
  args: [],
  options: { output: outputOption(['table', 'json', 'yaml']) },
  examples: ['strata source list'],
  async run(ctx, { options }) {
    const sources = await ctx.client.call('listSources', {});
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') ctx.stdout.write(formatObject(sources, output));
    else if (sources.length === 0) ctx.stderr.write('no chart sources; add one with `strata source add`\n');
    else
      ctx.stdout.write(
        renderTable(
          ['NAME', 'URL', 'USERNAME', 'PASSWORD', 'CA', 'TLS'],
          terminalSafe(sources).map((s) => [
            s.name,
            s.url,
            s.username ?? '-',
            s.hasPassword ? 'set' : '-',
            s.hasCa ? 'set' : '-',
            s.plainHttp ? 'plain http' : s.insecureSkipTlsVerify ? 'not verified' : 'verified',
          ]),
        ),
      );
    return ExitCode.Ok;
  },
};

const remove: Command = {
  path: ['source', 'rm'],
  usage: 'strata source rm NAME',
  summary: 'remove a chart source; published versions keep the charts they pinned (admin)',
  args: ['NAME'],
  options: {},
  examples: ['strata source rm internal'],
  async run(ctx, { args }) {
    const name = args[0] ?? '';
    await ctx.client.call('deleteSource', { params: { name } });
    ctx.stdout.write(`source ${name} removed\n`);
    return ExitCode.Ok;
  },
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const sourceCommands: readonly Command[] = [add, list, remove];
