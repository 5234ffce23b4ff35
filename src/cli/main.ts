// The `strata` command: finds the command, parses its flags, runs it against the hub, and turns any error
// into `error: …` on stderr with a non-zero exit code.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCommandArgs, resolveCommand } from './args.js';
import { HubClient } from './client.js';
import { flag, stringOption, type Command, type Context, type Output } from './command.js';
import { agentCommand } from './commands/agent.js';
import { attachCommands } from './commands/attach.js';
import { clusterCommands } from './commands/cluster.js';
import { eventsCommand } from './commands/events.js';
import { packCommands } from './commands/pack.js';
import { profileCommands } from './commands/profile.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { outdatedCommand } from './commands/outdated.js';
import { sourceCommands } from './commands/source.js';
import { tokenCommands } from './commands/token.js';
import { healthCommands } from './commands/health.js';
import { loadCliConfig, type Env } from './config.js';
import { ExitCode, formatError, usageError } from './errors.js';
import { commandHelp, groupHelp, mainHelp } from './help.js';

export const commands: readonly Command[] = [
  serveCommand,
  agentCommand,
  ...clusterCommands,
  ...profileCommands,
  outdatedCommand,
  ...attachCommands,
  statusCommand,
  ...packCommands,
  eventsCommand,
  ...tokenCommands,
  ...healthCommands,
  ...sourceCommands,
];

export interface MainIo {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly env: Env;
  readonly cwd: string;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

export async function main(argv: readonly string[], io: MainIo): Promise<number> {
  try {
    if (
      argv.length === 0 ||
      (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help'))
    ) {
      io.stdout.write(mainHelp(commands));
      return ExitCode.Ok;
    }
    const { command, path, rest } = resolveCommand(commands, argv);
    if (command === undefined) {
      const wantsHelp = rest.includes('--help') || rest.includes('-h');
      if (path.length === 0) {
        if (wantsHelp) {
          io.stdout.write(mainHelp(commands));
          return ExitCode.Ok;
        }
        throw usageError(`no command given: ${rest.join(' ')}`, "run 'strata --help' for the list");
      }
      const group = path[0] ?? '';
      if (wantsHelp) {
        io.stdout.write(groupHelp(group, commands));
        return ExitCode.Ok;
      }
      const subs = commands.filter((c) => c.path[0] === group).map((c) => c.path[1]);
      throw usageError(
        `"strata ${group}" needs a command: ${subs.join(', ')}`,
        `run 'strata ${group} --help' for more`,
      );
    }
    const { args, options } = parseCommandArgs(command, rest);
    if (flag(options, 'help')) {
      io.stdout.write(commandHelp(command));
      return ExitCode.Ok;
    }
    const config = loadCliConfig({
      env: io.env,
      server: stringOption(options, 'server'),
      insecureHttp: flag(options, 'insecure-http'),
    });
    const ctx: Context = {
      stdout: io.stdout,
      stderr: io.stderr,
      color: io.stdout.isTTY && !config.noColor && !flag(options, 'no-color'),
      config,
      client: new HubClient(config, io.fetch === undefined ? {} : { fetch: io.fetch }),
      env: io.env,
      cwd: io.cwd,
      now: io.now ?? Date.now,
      signal: io.signal ?? new AbortController().signal,
      ...(io.sleep === undefined ? {} : { sleep: io.sleep }),
    };
    return await command.run(ctx, { args, options });
  } catch (error) {
    io.stderr.write(formatError(error));
    return error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number'
      ? error.exitCode
      : ExitCode.Error;
  }
}

function processOutput(stream: NodeJS.WriteStream): Output {
  return {
    write: (text) => stream.write(text),
    get isTTY() {
      return stream.isTTY;
    },
    get columns() {
      return stream.isTTY ? stream.columns : undefined;
    },
  };
}

async function run(): Promise<void> {
  const interrupt = new AbortController();
  // The first Ctrl-C ends streams so the command can restore the terminal; a second one quits at once.
  process.on('SIGINT', () => {
    if (interrupt.signal.aborted) process.exit(ExitCode.Interrupted);
    interrupt.abort();
  });
  const code = await main(process.argv.slice(2), {
    stdout: processOutput(process.stdout),
    stderr: processOutput(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    signal: interrupt.signal,
  });
  // Exit once stdout has drained (a pipe may still hold the output); keep-alive sockets must not hold us.
  process.stdout.write('', () => process.exit(interrupt.signal.aborted ? ExitCode.Interrupted : code));
}

const invoked = process.argv[1] === undefined ? '' : realpathSync(process.argv[1]);
if (invoked === realpathSync(fileURLToPath(import.meta.url))) await run();
