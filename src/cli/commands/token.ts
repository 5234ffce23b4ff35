// strata token create: the plaintext goes to stdout alone (so `$(strata token create …)` captures it), what
// it is to stderr. With --data-dir it runs on the hub's host against the hub's store, without the hub or a
// token: the recovery when every admin token is lost.
import { outputOption, stringOption, type Command } from '../command.js';
import { ExitCode, usageError } from '../errors.js';
import { formatObject } from '../render/output.js';
import { terminalSafe } from '../render/terminal-text.js';
import type { TokenRole } from '../types.js';

const roles: readonly TokenRole[] = ['viewer', 'operator', 'admin'];

const create: Command = {
  path: ['token', 'create'],
  usage: 'strata token create --role viewer|operator|admin [--name NAME] [--data-dir DIR] [-o json|yaml]',
  summary: 'create an API token (needs an admin token); it is shown this once',
  description:
    'viewer: read everything; operator: also apply profiles, attach, detach, retry; admin: also clusters\n' +
    'and tokens.\n' +
    "Lost every admin token? On the hub host, as the user the hub runs as, --data-dir DIR (the hub's data\n" +
    'directory; STRATA_DATABASE_URL and STRATA_SECRET_KEY as the hub has them) creates the token in the\n' +
    "hub's database directly: no hub and no token needed, and a running hub accepts it at once.",
  args: [],
  options: {
    role: {
      type: 'string',
      value: 'ROLE',
      choices: roles,
      description: 'viewer, operator or admin (required)',
    },
    name: { type: 'string', value: 'NAME', description: 'what the token is for (default: <role>-<date>)' },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description: "on the hub host: create it in the hub's data directory, without the hub",
    },
    output: outputOption(['json', 'yaml']),
  },
  examples: [
    'strata token create --role viewer --name ci-dashboard',
    'export STRATA_TOKEN=$(strata token create --role operator --name pipeline)',
    'strata token create --role admin --name recovery --data-dir /var/lib/strata',
  ],
  async run(ctx, { options }) {
    const role = stringOption(options, 'role') as TokenRole | undefined;
    if (role === undefined) throw usageError('"strata token create" needs --role viewer|operator|admin');
    const name =
      stringOption(options, 'name') ??
      `${role}-${new Date(ctx.now()).toISOString().slice(0, 19).replaceAll(':', '')}`;
    const dataDir = stringOption(options, 'data-dir');
    const created =
      dataDir === undefined
        ? await ctx.client.call('createToken', { body: { role, name } })
        : // Loaded only here: the store and its drivers are no business of the other client commands.
          await (
            await import('../../server/admin-token.js')
          ).createTokenOnHost({ argv: [`--data-dir=${dataDir}`], env: ctx.env, cwd: ctx.cwd, role, name });
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') {
      ctx.stdout.write(formatObject(created, output));
      return ExitCode.Ok;
    }
    const shown = terminalSafe(created);
    ctx.stderr.write(
      `token "${shown.token.name}" (role ${shown.token.role}, id ${shown.token.id}) created; it is shown this once:\n`,
    );
    ctx.stdout.write(`${shown.plaintext}\n`);
    return ExitCode.Ok;
  },
};

export const tokenCommands: readonly Command[] = [create];
