// Where the CLI finds its hub and token: flag, then environment, then ~/.config/strata/config.yaml, then the
// default. The one module of the CLI that reads process.env (style.md rule 9); everything else gets a
// `CliConfig`.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseYamlValue } from '../shared/yaml-parse.js';
import { CliError, CliErrorCode } from './errors.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:7400';

export type Env = Readonly<Record<string, string | undefined>>;

export interface CliConfig {
  readonly server: string;
  /**
   * Where the server came from: `default` means nobody configured a hub (commands that can work offline, such
   * as `profile validate`, then do).
   */
  readonly serverSource: 'flag' | 'env' | 'file' | 'default';
  readonly token: string | undefined;
  /** Where the token came from, for the 401 message. */
  readonly tokenSource: 'env' | 'file' | 'none';
  readonly configFile: string;
  /** NO_COLOR set to anything non-empty (https://no-color.org). */
  readonly noColor: boolean;
  /** COLUMNS, when set to a positive number: the width to fit even when stdout is not a terminal. */
  readonly columns: number | undefined;
  /**
   * Send the token over plain http:// to a hub on another machine (--insecure-http, STRATA_INSECURE_HTTP=1 or
   * `insecureHttp: true` in the config file); without it the CLI refuses (shared/plain-http.ts).
   */
  readonly insecureHttp: boolean;
}

const FileSchema = z.looseObject({
  server: z.url('expected a URL like http://127.0.0.1:7400').optional(),
  token: z.string().min(1).optional(),
  insecureHttp: z.boolean().optional(),
});

export function configFilePath(env: Env): string {
  const base = nonEmpty(env.XDG_CONFIG_HOME) ?? join(nonEmpty(env.HOME) ?? homedir(), '.config');
  return join(base, 'strata', 'config.yaml');
}

export function loadCliConfig(options: {
  env: Env;
  server?: string | undefined;
  /** --insecure-http was given. */
  insecureHttp?: boolean;
}): CliConfig {
  const { env } = options;
  const configFile = configFilePath(env);
  const file = readConfigFile(configFile);
  const envServer = nonEmpty(env.STRATA_SERVER);
  const server = options.server ?? envServer ?? file.server ?? DEFAULT_SERVER;
  const serverSource =
    options.server !== undefined
      ? 'flag'
      : envServer !== undefined
        ? 'env'
        : file.server !== undefined
          ? 'file'
          : 'default';
  if (!/^https?:\/\/[^/]+/.test(server)) {
    throw new CliError(
      CliErrorCode.Config,
      `--server / STRATA_SERVER: expected a URL like ${DEFAULT_SERVER}, got ${JSON.stringify(server)}`,
    );
  }
  const envToken = nonEmpty(env.STRATA_TOKEN);
  const token = envToken ?? file.token;
  return {
    server: server.replace(/\/+$/, ''),
    serverSource,
    token,
    tokenSource: envToken !== undefined ? 'env' : file.token !== undefined ? 'file' : 'none',
    configFile,
    noColor: nonEmpty(env.NO_COLOR) !== undefined,
    columns: positiveInt(env.COLUMNS),
    insecureHttp:
      options.insecureHttp === true ||
      ['1', 'true'].includes(nonEmpty(env.STRATA_INSECURE_HTTP)?.toLowerCase() ?? '') ||
      file.insecureHttp === true,
  };
}

function readConfigFile(path: string): z.infer<typeof FileSchema> {
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = parseYamlValue(readFileSync(path, 'utf8')) ?? {};
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new CliError(CliErrorCode.Config, `${path}: not valid YAML: ${why}`, { cause });
  }
  const parsed = FileSchema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new CliError(CliErrorCode.Config, `${path}: ${why}`);
  }
  return parsed.data;
}

function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n > 0 ? n : undefined;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value;
