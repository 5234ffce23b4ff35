// strata cluster add | list | rm
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { inlineKubeconfig } from '../../kube/kubeconfig-inline.js';
import { KubeError } from '../../kube/errors.js';
import { outputOption, stringOption, type Command, type Context, type OptionValues } from '../command.js';
import { CliError, CliErrorCode, ExitCode } from '../errors.js';
import { painter } from '../render/color.js';
import { formatObject } from '../render/output.js';
import { terminalSafe, terminalText } from '../render/terminal-text.js';
import { phaseBadge } from '../render/status.js';
import { renderTable } from '../render/table.js';
import { age } from '../render/time.js';
import type { Cluster } from '../types.js';
import { packPhaseDisplay } from '../../status/pack-phase.js';

export async function readInputFile(ctx: Context, path: string, what: string): Promise<string> {
  try {
    return await readFile(resolve(ctx.cwd, path), 'utf8');
  } catch (cause) {
    const why =
      (cause as NodeJS.ErrnoException).code ?? (cause instanceof Error ? cause.message : String(cause));
    throw new CliError(CliErrorCode.File, `cannot read ${what} ${path}: ${why}`, { cause });
  }
}

export function clusterRows(clusters: readonly Cluster[], ctx: Pick<Context, 'color' | 'now'>): string {
  const paint = painter(ctx.color);
  return renderTable(
    ['NAME', 'STATUS', 'PACKS', 'REACHABLE', 'SERVER', 'AGE'],
    terminalSafe(clusters).map((c) => [
      c.name,
      phaseBadge(packPhaseDisplay[c.phase], paint),
      `${c.counts.success}/${c.packs}`,
      c.reachable ? 'yes' : paint.paint('red', `no${c.error === undefined ? '' : `: ${c.error}`}`),
      // An agent cluster has no server the hub knows of: its agent connects out.
      c.agent === undefined ? c.server : c.agent.connected ? 'agent connected' : 'agent silent',
      age(c.createdAt, ctx.now()),
    ]),
  );
}

/** The kubeconfig with the files it names read on this machine (see kube/kubeconfig-inline.ts). */
async function inlineFiles(
  text: string,
  file: string,
  options: { baseDir: string; context?: string },
): Promise<string> {
  try {
    return (await inlineKubeconfig(text, { ...options, readFile: (path) => readFile(path) })).text;
  } catch (cause) {
    if (!(cause instanceof KubeError)) throw cause;
    throw new CliError(CliErrorCode.File, `kubeconfig ${file}: ${cause.message}`, { cause });
  }
}

const add: Command = {
  path: ['cluster', 'add'],
  usage:
    'strata cluster add NAME (--kubeconfig FILE [--context CTX] | --agent) [--drift-policy correct|report]',
  summary: 'register a cluster with its kubeconfig, or one run by an agent that connects out to the hub',
  description:
    'The kubeconfig file is read here and sent to the hub, which stores it sealed. Only the chosen context\n' +
    '(with its cluster and user) is sent, and the files it names (certificate-authority, client-certificate,\n' +
    'client-key, token-file) are read here and inlined: the hub reads no file and runs no program a kubeconfig\n' +
    'names. exec and auth-provider users are refused unless the hub allows that exec plugin by name.\n' +
    'With --agent the hub stores no kubeconfig and never connects to the cluster: `strata agent`, run beside or\n' +
    'inside it (deploy/agent/), connects out to the hub with the agent token printed here (shown once).',
  args: ['NAME'],
  options: {
    kubeconfig: {
      type: 'string',
      value: 'FILE',
      description: 'kubeconfig file of the cluster (required unless --agent)',
    },
    agent: {
      type: 'boolean',
      description: 'the cluster is run by `strata agent`: prints its agent token and how to run it',
    },
    context: {
      type: 'string',
      value: 'CTX',
      description: "context to use (default: the file's current-context)",
    },
    'drift-policy': {
      type: 'string',
      value: 'POLICY',
      choices: ['correct', 'report'],
      description: 'correct: re-apply what drifted (default); report: only show it',
    },
    output: outputOption(['json', 'yaml']),
  },
  examples: [
    'strata cluster add dev --kubeconfig ~/.kube/dev.yaml',
    'strata cluster add prod --kubeconfig prod.yaml --context prod-admin --drift-policy report',
    'strata cluster add edge --agent',
  ],
  async run(ctx, { args, options }) {
    const name = args[0] ?? '';
    if (options.agent === true) return addAgentCluster(ctx, name, options);
    const file = stringOption(options, 'kubeconfig');
    if (file === undefined)
      throw new CliError(CliErrorCode.Usage, '"strata cluster add" needs --kubeconfig FILE');
    const context = stringOption(options, 'context');
    const kubeconfig = await inlineFiles(await readInputFile(ctx, file, 'kubeconfig'), file, {
      baseDir: dirname(resolve(ctx.cwd, file)),
      ...(context === undefined ? {} : { context }),
    });
    const driftPolicy = stringOption(options, 'drift-policy') as Cluster['driftPolicy'] | undefined;
    const cluster = await ctx.client.call('registerCluster', {
      body: {
        name,
        kubeconfig,
        ...(context === undefined ? {} : { context }),
        ...(driftPolicy === undefined ? {} : { driftPolicy }),
      },
    });
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') ctx.stdout.write(formatObject(cluster, output));
    else
      ctx.stdout.write(
        terminalText(
          `cluster "${cluster.name}" added (server ${cluster.server}, context ${cluster.context})`,
        ) + '\n',
      );
    return ExitCode.Ok;
  },
};

/** `cluster add --agent`: the cluster and its agent token, and how to run its agent with it. */
async function addAgentCluster(ctx: Context, name: string, options: OptionValues): Promise<ExitCode> {
  if (stringOption(options, 'kubeconfig') !== undefined || stringOption(options, 'context') !== undefined) {
    throw new CliError(
      CliErrorCode.Usage,
      '"strata cluster add --agent" takes no --kubeconfig or --context: the hub never connects to an agent cluster',
    );
  }
  const driftPolicy = stringOption(options, 'drift-policy') as Cluster['driftPolicy'] | undefined;
  let made = await ctx.client.call('registerAgentCluster', {
    body: { name, ...(driftPolicy === undefined ? {} : { driftPolicy }) },
  });
  const output = stringOption(options, 'output');
  if (output === 'json' || output === 'yaml') {
    ctx.stdout.write(formatObject(made, output));
    return ExitCode.Ok;
  }
  const hub = ctx.config.server;
  made = terminalSafe(made);
  ctx.stdout.write(
    [
      `cluster "${made.cluster.name}" added, run by an agent (the hub holds no credentials for it)`,
      '',
      'Its agent token (shown this once, keep it secret):',
      `  ${made.token}`,
      '',
      'Run the agent beside the cluster, with a kubeconfig for it:',
      `  strata agent --hub ${hub} --token <the token> --kubeconfig FILE --state-dir DIR`,
      'or inside it (in-cluster ServiceAccount credentials; manifests and RBAC in deploy/agent/):',
      `  kubectl create namespace strata-agent`,
      `  kubectl -n strata-agent create secret generic strata-agent --from-literal=hub=${hub} --from-literal=token=<the token>`,
      '  kubectl apply -f deploy/agent/',
      '',
    ].join('\n'),
  );
  return ExitCode.Ok;
}

const list: Command = {
  path: ['cluster', 'list'],
  usage: 'strata cluster list [-o table|json|yaml]',
  summary: 'list clusters with their rollup status and packs green',
  args: [],
  options: { output: outputOption(['table', 'json', 'yaml']) },
  examples: [
    'strata cluster list',
    'strata cluster list -o json | jq -r ".[] | select(.phase==\\"failed\\") | .name"',
  ],
  async run(ctx, { options }) {
    const clusters = await ctx.client.call('listClusters', {});
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') ctx.stdout.write(formatObject(clusters, output));
    else if (clusters.length === 0)
      ctx.stderr.write('no clusters; add one with `strata cluster add NAME --kubeconfig FILE`\n');
    else ctx.stdout.write(clusterRows(clusters, ctx));
    return ExitCode.Ok;
  },
};

const rm: Command = {
  path: ['cluster', 'rm'],
  usage: 'strata cluster rm NAME',
  summary: 'stop managing a cluster (what it installed stays: detach its profiles first to uninstall)',
  args: ['NAME'],
  options: {},
  examples: ['strata detach dev monitoring && strata cluster rm dev'],
  async run(ctx, { args }) {
    const name = args[0] ?? '';
    await ctx.client.call('removeCluster', { params: { cluster: name } });
    ctx.stdout.write(`cluster "${name}" removed\n`);
    return ExitCode.Ok;
  },
};

const resync: Command = {
  path: ['cluster', 'resync'],
  usage: 'strata cluster resync NAME',
  summary: "re-read a cluster's live state and re-apply what drifted (needs an operator token)",
  args: ['NAME'],
  options: {},
  examples: ['strata cluster resync dev'],
  async run(ctx, { args }) {
    const name = args[0] ?? '';
    await ctx.client.call('resyncCluster', { params: { cluster: name } });
    ctx.stdout.write(`re-sync of cluster "${name}" requested\n`);
    return ExitCode.Ok;
  },
};

const agentToken: Command = {
  path: ['cluster', 'agent-token'],
  usage: 'strata cluster agent-token NAME',
  summary: 'make a new agent token for an agent cluster (the old one stops working at once; needs admin)',
  args: ['NAME'],
  options: {},
  examples: ['strata cluster agent-token edge'],
  async run(ctx, { args }) {
    const name = args[0] ?? '';
    const { token } = await ctx.client.call('rotateAgentToken', { params: { cluster: name } });
    ctx.stdout.write(
      `new agent token for cluster "${name}" (shown this once; the old one no longer works):\n  ${terminalText(token)}\n` +
        'give it to the agent (--token, or STRATA_AGENT_TOKEN / the strata-agent Secret) and restart it\n',
    );
    return ExitCode.Ok;
  },
};

export const clusterCommands: readonly Command[] = [add, list, rm, resync, agentToken];
