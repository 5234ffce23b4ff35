/**
 * testenv/up and testenv/down. Usage:
 *   testenv/up   [--name NAME] [--nodes N] [--port PORT]   start (or reuse) a control plane; prints its kubeconfig path
 *   testenv/down [--name NAME | --all]                      stop it and remove its state
 */
import { readdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { down, up } from './controlplane.js';
import { TestenvError } from './errors.js';
import { stateRoot } from './paths.js';

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string', default: 'strata' },
      nodes: { type: 'string', default: '3' },
      port: { type: 'string' },
      all: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
    },
  });
  switch (command ?? '') {
    case 'up': {
      const nodes = Number(values.nodes);
      if (!Number.isInteger(nodes) || nodes < 1 || nodes > 1000) {
        throw new TestenvError('up', `--nodes must be a whole number from 1 to 1000; got "${values.nodes}"`);
      }
      const port = values.port === undefined ? undefined : Number(values.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
        throw new TestenvError('up', `--port must be a port number from 1 to 65535; got "${values.port}"`);
      }
      const started = Date.now();
      const log = values.quiet ? undefined : (line: string) => process.stderr.write(`testenv: ${line}\n`);
      const state = await up({ name: values.name, nodes, apiServerPort: port, log });
      if (!values.quiet) {
        process.stderr.write(
          `testenv: control plane "${state.name}" ready in ${((Date.now() - started) / 1000).toFixed(1)}s at ${state.server} with ${state.nodes} nodes\n` +
            `testenv: point kubectl at it with:  export KUBECONFIG=${state.kubeconfig}\n`,
        );
      }
      process.stdout.write(`${state.kubeconfig}\n`);
      return;
    }
    case 'down': {
      const names = values.all ? await readdir(stateRoot()).catch(() => []) : [values.name];
      for (const name of names) await down({ name });
      return;
    }
    default:
      throw new TestenvError('testenv', `unknown command "${command ?? ''}"; use "up" or "down"`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`testenv: ${message}\n`);
  process.exit(1);
});
