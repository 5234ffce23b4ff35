// strata agent: runs one cluster's runner beside or inside it, connecting out to the hub (src/agent). Loaded
// only when asked for, like `serve`: client commands do not pay for the engine.
import { resolve } from 'node:path';
import { stringOption, type Command } from '../command.js';
import { CliError, CliErrorCode, ExitCode } from '../errors.js';
import { terminalText } from '../render/terminal-text.js';
import { plainHttpRefusal } from '../../shared/plain-http.js';

export const agentCommand: Command = {
  path: ['agent'],
  usage:
    'strata agent --hub URL --token TOKEN [--kubeconfig FILE [--context CTX]] [--state-dir DIR] [--helm PATH]',
  summary: "run an agent cluster's runner here, connecting out to the hub (see `strata cluster add --agent`)",
  description:
    "Pulls the cluster's desired packs from the hub, installs and watches them with the in-cluster ServiceAccount\n" +
    '(KUBERNETES_SERVICE_HOST and the mounted token) or --kubeconfig, and pushes every status change to the hub.\n' +
    'While the hub is unreachable the changes wait in the state dir and go in order when it answers again; a\n' +
    'restart goes on from the state dir without re-applying unchanged objects. The token may also come from\n' +
    'STRATA_AGENT_TOKEN (safer: a flag shows in `ps`). Ctrl-C (SIGINT) or SIGTERM stops it cleanly.',
  args: [],
  needsHub: false,
  options: {
    hub: { type: 'string', value: 'URL', description: 'the hub, e.g. https://strata.example.com (required)' },
    token: { type: 'string', value: 'TOKEN', description: 'the agent token (or STRATA_AGENT_TOKEN)' },
    kubeconfig: {
      type: 'string',
      value: 'FILE',
      description: 'kubeconfig of the cluster (default: the in-cluster ServiceAccount)',
    },
    context: {
      type: 'string',
      value: 'CTX',
      description: 'context of --kubeconfig (default: its current-context)',
    },
    'state-dir': {
      type: 'string',
      value: 'DIR',
      description: 'outbox, statuses, renderings and charts (default ./.strata-agent)',
    },
    helm: {
      type: 'string',
      value: 'PATH',
      description: 'the helm binary (default: STRATA_HELM, else the pinned one, else PATH)',
    },
  },
  examples: [
    'strata agent --hub https://strata.example.com --token "$TOKEN" --kubeconfig edge.yaml',
    'STRATA_AGENT_TOKEN=… strata agent --hub https://strata.example.com --state-dir /var/lib/strata-agent',
  ],
  async run(ctx, { options }) {
    const hub = stringOption(options, 'hub') ?? ctx.env.STRATA_HUB;
    const token = stringOption(options, 'token') ?? ctx.env.STRATA_AGENT_TOKEN;
    if (hub === undefined || hub === '')
      throw new CliError(CliErrorCode.Usage, '"strata agent" needs --hub URL (or STRATA_HUB)');
    if (token === undefined || token === '')
      throw new CliError(CliErrorCode.Usage, '"strata agent" needs --token TOKEN (or STRATA_AGENT_TOKEN)');
    if (!/^https?:\/\/[^/]+/.test(hub))
      throw new CliError(
        CliErrorCode.Usage,
        `--hub: expected a URL like https://strata.example.com, got ${JSON.stringify(hub)}`,
      );
    const refusal = plainHttpRefusal(hub, ctx.config);
    if (refusal !== undefined)
      throw new CliError(CliErrorCode.Usage, `--hub: ${refusal}`, {
        hint: 'use the https:// address of the hub; or, on a network you trust, pass --insecure-http (STRATA_INSECURE_HTTP=1)',
      });
    const kubeconfig = stringOption(options, 'kubeconfig');
    const context = stringOption(options, 'context');
    const { startAgent } = await import('../../agent/main.js');
    const { findHelm } = await import('../../config.js');
    // Its log lines carry the cluster's and the hub's words (errors, events).
    const log = (line: string) => {
      ctx.stderr.write(`${terminalText(line, { multiline: true })}\n`);
    };
    const agent = await startAgent({
      hub,
      token,
      insecureHttp: ctx.config.insecureHttp,
      ...(kubeconfig === undefined ? {} : { kubeconfig: resolve(ctx.cwd, kubeconfig) }),
      ...(context === undefined ? {} : { context }),
      stateDir: resolve(ctx.cwd, stringOption(options, 'state-dir') ?? '.strata-agent'),
      helmBin: stringOption(options, 'helm') ?? ctx.env.STRATA_HELM ?? findHelm(),
      env: ctx.env,
      log,
      ...(ctx.env.STRATA_AGENT_POLL_MS === undefined ? {} : { pollMs: Number(ctx.env.STRATA_AGENT_POLL_MS) }),
    });
    await new Promise<void>((done) => {
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        log('strata agent: stopping');
        void agent.stop().finally(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      ctx.signal.addEventListener('abort', stop, { once: true });
    });
    return ExitCode.Ok;
  },
};
