// The hub's configuration: flags first, then `STRATA_*` environment variables, then defaults, validated with
// zod at start so a typo fails at once with the variable's name instead of as a strange error minutes later.
// This is the ONE module that reads process.env (style.md rule 9); everything else takes a `Config`.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_OUTBOUND_DENY,
  defaultWatchBudgetBytes,
  parseOutboundDeny,
  type AddressRange,
} from './kube/index.js';
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_MAX_CONNECTIONS_PER_TOKEN,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from './server/connection-limits.js';
import { DEFAULT_RETENTION } from './hub/retention.js';
import {
  DEFAULT_MAX_HEAVY_PER_OPERATION,
  DEFAULT_MAX_HEAVY_PER_TOKEN,
  MAX_BODY_BYTES,
  MAX_BODY_BYTES_PER_TOKEN,
} from './server/heavy-requests.js';
import { DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_TOKEN } from './server/stream-limits.js';

export const LogLevel = {
  Fatal: 'fatal',
  Error: 'error',
  Warn: 'warn',
  Info: 'info',
  Debug: 'debug',
  Trace: 'trace',
  Silent: 'silent',
} as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

export const DEFAULT_ADDRESS = '127.0.0.1:7400';
export const DEFAULT_DATA_DIR = '.strata';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface Config {
  readonly address: ListenAddress;
  /** Absolute. Holds the SQLite database, the key file and the first admin token. */
  readonly dataDir: string;
  readonly databaseUrl: string;
  /** From STRATA_SECRET_KEY; when absent the key file in dataDir is used (created on first start). */
  readonly secretKey: string | undefined;
  readonly helmBin: string;
  readonly logLevel: LogLevel;
  /**
   * Exec credential plugins a cluster's kubeconfig may run on the hub, by command name (`aws`,
   * `gke-gcloud-auth-plugin`). Default none: kubeconfigs are data.
   */
  readonly allowedExecPlugins: readonly string[];
  /** Address ranges a cluster's server or proxy may not be in. Default link-local (cloud metadata). */
  readonly outboundDeny: readonly AddressRange[];
  /** Set: `/metrics` takes it as a bearer token, as well as any API token. */
  readonly metricsToken: string | undefined;
  /**
   * `/metrics` answers without a token. Default false: its labels name every cluster (`strata_packs{cluster=…}`),
   * which /readyz keeps for callers with a token.
   */
  readonly metricsPublic: boolean;
  /** Open event streams one token may hold (default 32), and the hub in all (default 20,000). */
  readonly maxStreamsPerToken: number;
  readonly maxStreams: number;
  /** Costly requests (preview, validate, health test, values, bundle) one token may have in progress (4). */
  readonly maxCostlyPerToken: number;
  /** How long one request (headers and body) may take to arrive, ms (default 120 s). */
  readonly requestTimeoutMs: number;
  /** Connections the hub holds in all (default 25,000), and per address before a token is shown (1024). */
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  /** Connections one token's requests may hold open. */
  readonly maxConnectionsPerToken: number;
  /** Costly requests of one operation the hub runs at once, all tokens (16). */
  readonly maxCostlyPerOperation: number;
  /** Request body bytes being read at once, per token (8 MiB) and in all (256 MiB). */
  readonly maxBodyBytesPerToken: number;
  readonly maxBodyBytes: number;
  /**
   * Print the first admin token itself at first start (default false: the 0600 file's path is printed; a
   * terminal's output too may be logged, `docker run -t`).
   */
  readonly printAdminToken: boolean;
  /**
   * Bytes every hub-driven cluster's list+watch may hold, all clusters together (kube/watch-budget.ts); default a
   * quarter of the heap limit.
   */
  readonly watchCacheBytes: number;
  /** Pack history kept: the newest N transitions (and status events) per pack, and days (0: any age). */
  readonly keepTransitions: number;
  readonly keepDays: number;
}

/** Configuration that cannot be used; the message names the flag or variable and what is wrong with it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
}

/** Each setting: its flag, its variable, so messages can name what the user actually typed. */
const settings = {
  address: { flag: '--address', env: 'STRATA_ADDRESS' },
  dataDir: { flag: '--data-dir', env: 'STRATA_DATA_DIR' },
  databaseUrl: { flag: '--database-url', env: 'STRATA_DATABASE_URL' },
  secretKey: { flag: undefined, env: 'STRATA_SECRET_KEY' },
  helmBin: { flag: '--helm', env: 'STRATA_HELM' },
  logLevel: { flag: '--log-level', env: 'STRATA_LOG_LEVEL' },
  allowedExecPlugins: { flag: '--allow-exec-plugin', env: 'STRATA_ALLOWED_EXEC_PLUGINS' },
  outboundDeny: { flag: '--outbound-deny', env: 'STRATA_OUTBOUND_DENY' },
  metricsToken: { flag: '--metrics-token', env: 'STRATA_METRICS_TOKEN' },
  metricsPublic: { flag: '--metrics-public', env: 'STRATA_METRICS_PUBLIC' },
  maxStreamsPerToken: { flag: '--max-streams-per-token', env: 'STRATA_MAX_STREAMS_PER_TOKEN' },
  maxStreams: { flag: '--max-streams', env: 'STRATA_MAX_STREAMS' },
  maxCostlyPerToken: { flag: '--max-costly-requests-per-token', env: 'STRATA_MAX_COSTLY_REQUESTS_PER_TOKEN' },
  requestTimeout: { flag: '--request-timeout', env: 'STRATA_REQUEST_TIMEOUT' },
  maxConnections: { flag: '--max-connections', env: 'STRATA_MAX_CONNECTIONS' },
  maxConnectionsPerAddress: {
    flag: '--max-connections-per-address',
    env: 'STRATA_MAX_CONNECTIONS_PER_ADDRESS',
  },
  maxConnectionsPerToken: { flag: '--max-connections-per-token', env: 'STRATA_MAX_CONNECTIONS_PER_TOKEN' },
  maxCostlyPerOperation: {
    flag: '--max-costly-requests-per-operation',
    env: 'STRATA_MAX_COSTLY_REQUESTS_PER_OPERATION',
  },
  maxBodyMibPerToken: { flag: '--max-body-mib-per-token', env: 'STRATA_MAX_BODY_MIB_PER_TOKEN' },
  maxBodyMib: { flag: '--max-body-mib', env: 'STRATA_MAX_BODY_MIB' },
  watchCacheMib: { flag: '--watch-cache-mib', env: 'STRATA_WATCH_CACHE_MIB' },
  printAdminToken: { flag: '--print-admin-token', env: 'STRATA_PRINT_ADMIN_TOKEN' },
  keepTransitions: { flag: '--keep-transitions', env: 'STRATA_KEEP_TRANSITIONS' },
  keepDays: { flag: '--keep-days', env: 'STRATA_KEEP_DAYS' },
} as const;
type Setting = keyof typeof settings;

const addressSchema = z
  .string()
  .trim()
  .transform((text, ctx): ListenAddress => {
    // host:port, [v6]:port or :port (all interfaces would be a choice the user makes explicitly, so a bare
    // ":port" still means 127.0.0.1).
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
    const port = match ? Number(match[3]) : NaN;
    if (!match || port > 65535) {
      ctx.addIssue({
        code: 'custom',
        message: `expected host:port (e.g. ${DEFAULT_ADDRESS}), got "${text}"`,
      });
      return z.NEVER;
    }
    const host = match[1] ?? (match[2] === '' || match[2] === undefined ? '127.0.0.1' : match[2]);
    return { host, port };
  });

/** A plugin is named, never a path: the hub runs it from its own PATH (see kube/kubeconfig-policy.ts). */
const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const pluginListSchema = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  )
  .refine((names) => names.every((name) => PLUGIN_NAME.test(name)), {
    message: 'expected comma-separated command names such as aws,gke-gcloud-auth-plugin (no paths)',
  });

const outboundDenySchema = z.string().transform((text, ctx): AddressRange[] => {
  try {
    return parseOutboundDeny(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    return z.NEVER;
  }
});

const MIB = 1024 * 1024;

const countSchema = z
  .string()
  .trim()
  .regex(/^[1-9]\d{0,8}$/, 'expected a whole number from 1 to 999999999')
  .transform(Number);

const schema = z.object({
  address: addressSchema,
  dataDir: z.string().trim().min(1, 'must not be empty'),
  databaseUrl: z.string().trim().min(1, 'must not be empty').optional(),
  secretKey: z.string().trim().min(1, 'must not be empty').optional(),
  helmBin: z.string().trim().min(1, 'must not be empty').optional(),
  metricsToken: z
    .string()
    .trim()
    .min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 32`)')
    .optional(),
  metricsPublic: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .transform((v) => v === 'true'),
  logLevel: z.enum(Object.values(LogLevel) as [LogLevel, ...LogLevel[]], {
    error: (issue) =>
      `expected one of ${Object.values(LogLevel).join(', ')}, got ${JSON.stringify(issue.input)}`,
  }),
  allowedExecPlugins: pluginListSchema,
  outboundDeny: outboundDenySchema,
  maxStreamsPerToken: countSchema,
  maxStreams: countSchema,
  maxCostlyPerToken: countSchema,
  requestTimeout: z
    .string()
    .trim()
    .regex(/^[1-9]\d{0,4}$/, 'expected whole seconds from 1 to 99999')
    .transform((seconds) => Number(seconds) * 1000),
  maxConnections: countSchema,
  maxConnectionsPerAddress: countSchema,
  maxConnectionsPerToken: countSchema,
  maxCostlyPerOperation: countSchema,
  maxBodyMibPerToken: countSchema,
  maxBodyMib: countSchema,
  watchCacheMib: countSchema,
  printAdminToken: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .transform((v) => v === 'true'),
  keepTransitions: countSchema,
  keepDays: z
    .string()
    .trim()
    .regex(/^\d{1,6}$/, 'expected whole days from 0 (0: kept whatever their age)')
    .transform(Number),
});

export interface LoadConfigOptions {
  /** Command-line flags after the command (`--address 0.0.0.0:7400`, `--address=…`). */
  readonly argv?: readonly string[];
  /** Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Relative paths (data dir) resolve against this; default process.cwd(). */
  readonly cwd?: string;
  /** How to find helm when neither --helm nor STRATA_HELM is set; injectable for tests. */
  readonly findHelm?: () => string;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const flags = parseFlags(options.argv ?? []);
  const pick = (key: Setting): { value: string | undefined; from: string } => {
    const { flag, env: name } = settings[key];
    const fromFlag = flag === undefined ? undefined : flags.get(flag);
    if (fromFlag !== undefined) return { value: fromFlag, from: flag ?? name };
    const fromEnv = env[name];
    return { value: fromEnv === '' ? undefined : fromEnv, from: name };
  };
  const raw = Object.fromEntries(
    (Object.keys(settings) as Setting[]).map((key) => [key, pick(key)]),
  ) as Record<Setting, { value: string | undefined; from: string }>;

  const parsed = schema.safeParse({
    address: raw.address.value ?? DEFAULT_ADDRESS,
    dataDir: raw.dataDir.value ?? DEFAULT_DATA_DIR,
    databaseUrl: raw.databaseUrl.value,
    secretKey: raw.secretKey.value,
    helmBin: raw.helmBin.value,
    logLevel: raw.logLevel.value ?? LogLevel.Info,
    allowedExecPlugins: raw.allowedExecPlugins.value ?? '',
    outboundDeny: raw.outboundDeny.value ?? DEFAULT_OUTBOUND_DENY.join(','),
    metricsToken: raw.metricsToken.value,
    metricsPublic: raw.metricsPublic.value ?? 'false',
    maxStreamsPerToken: raw.maxStreamsPerToken.value ?? String(DEFAULT_MAX_STREAMS_PER_TOKEN),
    maxStreams: raw.maxStreams.value ?? String(DEFAULT_MAX_STREAMS),
    maxCostlyPerToken: raw.maxCostlyPerToken.value ?? String(DEFAULT_MAX_HEAVY_PER_TOKEN),
    requestTimeout: raw.requestTimeout.value ?? String(DEFAULT_REQUEST_TIMEOUT_MS / 1000),
    maxConnections: raw.maxConnections.value ?? String(DEFAULT_MAX_CONNECTIONS),
    maxConnectionsPerAddress:
      raw.maxConnectionsPerAddress.value ?? String(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS),
    maxConnectionsPerToken: raw.maxConnectionsPerToken.value ?? String(DEFAULT_MAX_CONNECTIONS_PER_TOKEN),
    maxCostlyPerOperation: raw.maxCostlyPerOperation.value ?? String(DEFAULT_MAX_HEAVY_PER_OPERATION),
    maxBodyMibPerToken: raw.maxBodyMibPerToken.value ?? String(MAX_BODY_BYTES_PER_TOKEN / MIB),
    maxBodyMib: raw.maxBodyMib.value ?? String(MAX_BODY_BYTES / MIB),
    watchCacheMib: raw.watchCacheMib.value ?? String(defaultWatchBudgetBytes() / MIB),
    printAdminToken: raw.printAdminToken.value ?? 'false',
    keepTransitions: raw.keepTransitions.value ?? String(DEFAULT_RETENTION.keepPerPack),
    keepDays: raw.keepDays.value ?? String(DEFAULT_RETENTION.keepDays),
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as Setting;
      return `${raw[key].from}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const value = parsed.data;
  if (value.metricsPublic && value.metricsToken !== undefined) {
    throw new ConfigError(
      `invalid configuration:\n  ${raw.metricsPublic.from}: /metrics cannot be both open and behind ` +
        `${raw.metricsToken.from}: drop one of them`,
    );
  }
  if (value.maxBodyMibPerToken > value.maxBodyMib) {
    throw new ConfigError(
      `invalid configuration:\n  ${raw.maxBodyMibPerToken.from}: ${value.maxBodyMibPerToken} MiB per token is ` +
        `more than the hub reads in all (${raw.maxBodyMib.from}, ${value.maxBodyMib} MiB)`,
    );
  }
  const dataDir = resolve(cwd, value.dataDir);
  return {
    address: value.address,
    dataDir,
    databaseUrl: value.databaseUrl ?? `sqlite:${join(dataDir, 'strata.db')}`,
    secretKey: value.secretKey,
    helmBin: value.helmBin ?? (options.findHelm ?? findHelm)(),
    logLevel: value.logLevel,
    allowedExecPlugins: value.allowedExecPlugins,
    outboundDeny: value.outboundDeny,
    metricsToken: value.metricsToken,
    metricsPublic: value.metricsPublic,
    maxStreamsPerToken: value.maxStreamsPerToken,
    maxStreams: value.maxStreams,
    maxCostlyPerToken: value.maxCostlyPerToken,
    requestTimeoutMs: value.requestTimeout,
    maxConnections: value.maxConnections,
    maxConnectionsPerAddress: value.maxConnectionsPerAddress,
    maxConnectionsPerToken: value.maxConnectionsPerToken,
    maxCostlyPerOperation: value.maxCostlyPerOperation,
    maxBodyBytesPerToken: value.maxBodyMibPerToken * MIB,
    maxBodyBytes: value.maxBodyMib * MIB,
    watchCacheBytes: value.watchCacheMib * MIB,
    printAdminToken: value.printAdminToken,
    keepTransitions: value.keepTransitions,
    keepDays: value.keepDays,
  };
}

const knownFlags = new Set<string>(
  Object.values(settings).flatMap((s) => (s.flag === undefined ? [] : [s.flag])),
);

/** Flags that are true when given alone (`--metrics-public`), or take `=true` / `=false`. */
const switches = new Set<string>([settings.metricsPublic.flag, settings.printAdminToken.flag]);

function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (!knownFlags.has(name)) {
      throw new ConfigError(
        `unknown flag ${JSON.stringify(arg)}: known flags are ${[...knownFlags].join(', ')}`,
      );
    }
    if (eq === -1 && switches.has(name)) {
      flags.set(name, 'true');
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith('--'))) {
      throw new ConfigError(`${name}: needs a value`);
    }
    flags.set(name, value);
  }
  return flags;
}

/**
 * The pinned helm that testenv/build makes, when this is a checkout with it built (the demo and the tests use
 * the very version the engine was tested with); else `helm` from PATH. `--print` never builds.
 */
export function findHelm(): string {
  // The checkout from src/config.ts (tsx), dist/src/config.js (tsc) or a chunk in dist/src/cli/ (the bundle).
  for (const up of ['..', '../..', '../../..']) {
    const root = resolve(import.meta.dirname, up);
    const script = join(root, 'testenv', 'build');
    if (!existsSync(script)) continue;
    try {
      const out = execFileSync(script, ['--print'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const dir = out.trim().split('\n').at(-1);
      if (dir === undefined || dir === '') continue;
      const helm = join(dir, 'helm');
      accessSync(helm, constants.X_OK);
      return helm;
    } catch {
      // Not built, or no Go on this machine: fall back to PATH.
    }
  }
  return 'helm';
}
