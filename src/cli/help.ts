// `--help` text, rendered from the command table so it always matches what the parser accepts.
import { globalOptions } from './args.js';
import type { Command, OptionSpec } from './command.js';

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
    const value = spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : '';
    return { left: `  ${short}--${name}${value}`, right: spec.description };
  });
  const width = Math.max(...rows.map((r) => r.left.length));
  return rows.map((r) => `${r.left.padEnd(width)}   ${r.right}`);
}

export function commandHelp(command: Command): string {
  const lines = [
    `Usage: ${command.usage}`,
    '',
    `${command.summary[0]?.toUpperCase() ?? ''}${command.summary.slice(1)}.`,
  ];
  if (command.description !== undefined) lines.push('', command.description);
  if (Object.keys(command.options).length > 0) lines.push('', 'Flags:', ...optionLines(command.options));
  lines.push('', 'Global flags:', ...optionLines(globalOptions));
  lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

export function groupHelp(group: string, commands: readonly Command[]): string {
  const members = commands.filter((c) => c.path[0] === group);
  const width = Math.max(...members.map((c) => c.path.join(' ').length));
  const lines = [
    `Usage: strata ${group} COMMAND`,
    '',
    'Commands:',
    ...members.map((c) => `  ${c.path.join(' ').padEnd(width)}   ${c.summary}`),
    '',
    'Examples:',
    ...members.map((c) => `  ${c.examples[0] ?? ''}`),
    '',
    `Run 'strata ${group} COMMAND --help' for a command's flags.`,
  ];
  return `${lines.join('\n')}\n`;
}

export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  const lines = [
    'strata: deploy Kubernetes add-ons as cluster profiles of packs, and see every pack live.',
    '',
    'Usage: strata COMMAND [ARGS] [FLAGS]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.path.join(' ').padEnd(width)}   ${c.summary}`),
    '',
    'Global flags:',
    ...optionLines(globalOptions),
    '',
    'Environment:',
    '  STRATA_SERVER   the hub (default http://127.0.0.1:7400)',
    '  STRATA_TOKEN    the API token (else `token:` in $XDG_CONFIG_HOME/strata/config.yaml,',
    '                  default ~/.config/strata/config.yaml, which may also set `server:`)',
    '  NO_COLOR        no colours (they are also off when stdout is not a terminal)',
    '  STRATA_INSECURE_HTTP=1  send the token over plain http:// to a hub on another machine (the CLI',
    '                  refuses otherwise; http:// to 127.0.0.1 or localhost is always allowed)',
    '',
    'Exit codes: 0 success; 1 error (and `status --wait` seeing a red pack); 2 `status --wait` timed out;',
    '130 interrupted.',
    '',
    'Examples:',
    '  strata serve',
    '  strata cluster add dev --kubeconfig ~/.kube/dev.yaml',
    '  strata profile apply -f examples/platform-tools.yaml',
    '  strata attach dev platform-tools',
    '  strata status dev --watch',
    '',
    "Run 'strata COMMAND --help' for a command's flags and examples.",
  ];
  return `${lines.join('\n')}\n`;
}
