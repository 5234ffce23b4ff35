// strata health apply | get | test: the cluster-wide health rules (admin), and trying rules on an object
// from a file or live in a cluster before shipping them. Rules are checked by the hub (one compiler), so the
// CLI never accepts a file the hub refuses.
import { outputOption, stringOption, type Command, type Context } from '../command.js';
import { CliError, CliErrorCode, ExitCode, usageError } from '../errors.js';
import { formatObject } from '../render/output.js';
import { terminalText } from '../render/terminal-text.js';
import { parseYamlValue } from '../../shared/yaml-parse.js';
import { uploadFileName } from '../../shared/file-name.js';
import { readInputFile } from './cluster.js';

const rulesOption = {
  type: 'string',
  short: 'f',
  value: 'FILE',
  description: 'a HealthRules file (apiVersion strata.dev/v1alpha1, kind HealthRules)',
} as const;

async function readRules(ctx: Context, file: string): Promise<string> {
  const yaml = await readInputFile(ctx, file, 'health rules file');
  if (yaml.trim() === '') throw new CliError(CliErrorCode.File, `health rules file ${file} is empty`);
  return yaml;
}

const apply: Command = {
  path: ['health', 'apply'],
  usage: 'strata health apply -f FILE [-o json|yaml]',
  summary: 'apply cluster-wide health rules (needs an admin token): a new version, in force at once',
  description:
    "Precedence: a profile's spec.healthChecks > these cluster-wide rules > the built-in library > the\n" +
    'generic conditions rule. Every expression is compiled first; errors name the line and column.',
  args: [],
  options: { file: rulesOption, output: outputOption(['json', 'yaml']) },
  examples: ['strata health apply -f health-rules.yaml'],
  async run(ctx, { options }) {
    const file = stringOption(options, 'file');
    if (file === undefined) throw usageError('"strata health apply" needs -f FILE');
    const applied = await ctx.client.call('applyHealthRules', {
      body: { yaml: await readRules(ctx, file), file: uploadFileName(file) },
    });
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') {
      ctx.stdout.write(formatObject(applied, output));
      return ExitCode.Ok;
    }
    const n = applied.rules.length;
    ctx.stdout.write(`health rules version ${applied.version} applied (${n} rule${n === 1 ? '' : 's'})\n`);
    return ExitCode.Ok;
  },
};

const get: Command = {
  path: ['health', 'get'],
  usage: 'strata health get [-o json|yaml]',
  summary: 'show the cluster-wide health rules in force (the file as applied)',
  args: [],
  options: { output: outputOption(['json', 'yaml']) },
  examples: ['strata health get > health-rules.yaml'],
  async run(ctx, { options }) {
    const current = await ctx.client.call('getHealthRules', {});
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') ctx.stdout.write(formatObject(current, output));
    else {
      const source = terminalText(current.source, { multiline: true });
      ctx.stdout.write(source.endsWith('\n') ? source : `${source}\n`);
    }
    return ExitCode.Ok;
  },
};

const test: Command = {
  path: ['health', 'test'],
  usage:
    'strata health test [-f RULES] (--object FILE | --cluster CLUSTER --api-version V --kind KIND [--namespace NS] --name NAME) [-o json|yaml]',
  summary: 'print the verdict of the health rules for an object from a file or live in a cluster',
  description:
    'Rules: the -f file (if given), then the cluster-wide ones, then the built-in library, then the generic\n' +
    'rule. The verdict names the rule that decided.',
  args: [],
  options: {
    file: rulesOption,
    object: {
      type: 'string',
      value: 'FILE',
      description: 'the object, as YAML or JSON (kubectl get -o yaml)',
    },
    cluster: {
      type: 'string',
      value: 'CLUSTER',
      description: 'a registered cluster, for a live object (admin token; never a Secret)',
    },
    'api-version': {
      type: 'string',
      value: 'V',
      description: 'the live object’s apiVersion, e.g. cert-manager.io/v1',
    },
    kind: { type: 'string', value: 'KIND', description: 'the live object’s kind' },
    namespace: { type: 'string', value: 'NS', description: 'the live object’s namespace' },
    name: { type: 'string', value: 'NAME', description: 'the live object’s name' },
    output: outputOption(['json', 'yaml']),
  },
  examples: [
    'strata health test -f health-rules.yaml --object certificate.yaml',
    'strata health test --cluster prod --api-version cert-manager.io/v1 --kind Certificate --namespace web --name tls',
  ],
  async run(ctx, { options }) {
    const rulesFile = stringOption(options, 'file');
    const objectFile = stringOption(options, 'object');
    const cluster = stringOption(options, 'cluster');
    if ((objectFile === undefined) === (cluster === undefined)) {
      throw usageError('"strata health test" needs either --object FILE or --cluster with the live object');
    }
    let body: Parameters<typeof ctx.client.call<'testHealthRules'>>[1]['body'] = {
      ...(rulesFile === undefined
        ? {}
        : { rules: await readRules(ctx, rulesFile), file: uploadFileName(rulesFile) }),
    };
    if (objectFile !== undefined) {
      const text = await readInputFile(ctx, objectFile, 'object file');
      let object: unknown;
      try {
        object = parseYamlValue(text);
      } catch (cause) {
        throw new CliError(CliErrorCode.File, `object file ${objectFile} is not YAML: ${String(cause)}`, {
          cause,
        });
      }
      if (typeof object !== 'object' || object === null || Array.isArray(object)) {
        throw new CliError(
          CliErrorCode.File,
          `object file ${objectFile} does not hold one Kubernetes object`,
        );
      }
      body = { ...body, object: object as NonNullable<typeof body.object> };
    } else {
      const need = (name: string) => {
        const value = stringOption(options, name);
        if (value === undefined) throw usageError(`a live object needs --${name}`);
        return value;
      };
      const namespace = stringOption(options, 'namespace');
      body = {
        ...body,
        live: {
          cluster: need('cluster'),
          apiVersion: need('api-version'),
          kind: need('kind'),
          name: need('name'),
          ...(namespace === undefined ? {} : { namespace }),
        },
      };
    }
    const verdict = await ctx.client.call('testHealthRules', { body });
    const output = stringOption(options, 'output');
    if (output === 'json' || output === 'yaml') {
      ctx.stdout.write(formatObject(verdict, output));
      return ExitCode.Ok;
    }
    const rule = verdict.rule
      ? `${verdict.rule.origin} rule for ${verdict.rule.apiVersion} ${verdict.rule.kind}`
      : 'built-in or generic rule';
    // The reason and message are the rule's and the object's words.
    ctx.stdout.write(
      `${terminalText(`${verdict.state} (${verdict.reason}) ${verdict.message}`)}\n  decided by: ${terminalText(rule)}\n`,
    );
    return ExitCode.Ok;
  },
};

export const healthCommands: readonly Command[] = [apply, get, test];
