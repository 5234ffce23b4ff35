import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChartSourceKind, type HelmPack } from '../profile/index.js';
import { assertNever } from '../shared/assert-never.js';
import { EngineError, EngineErrorCode } from './errors.js';
import { sharedSpawner, SpawnError, type Spawner } from './spawner.js';

/** What `helm install` would learn from the cluster, so `helm template` renders the same objects. */
export interface ClusterCapabilities {
  /** The API server's gitVersion from GET /version, e.g. `v1.34.1`. */
  readonly kubeVersion: string;
  /** Every served group/version (`apps/v1`) and group/version/Kind (`apps/v1/Deployment`). */
  readonly apiVersions: readonly string[];
}

export interface HelmTemplateOptions {
  /** The helm binary (testenv/build pins and builds it). */
  readonly helmBin: string;
  /**
   * The chart archive to render, a path the hub chose (never a client's): a local chart's stored archive, or a
   * remote chart's archive as pinned at publish (then the remote is not contacted).
   */
  readonly chartFile?: string;
  /**
   * The cluster's version and served APIs, passed as --kube-version and --api-versions so charts gating on
   * .Capabilities see the real cluster (without them Helm assumes the Kubernetes its client libraries were
   * built against and no API beyond its built-in defaults).
   */
  readonly capabilities?: ClusterCapabilities;
  readonly timeoutMs?: number;
  /**
   * The bound on helm's memory, MiB (default 1024, memory-limit.ts): a chart's templates can allocate without
   * end (`repeat`, `printf` in nested `range`s), and a render past it is this pack's error, not the machine's.
   */
  readonly memoryLimitMib?: number;
  /**
   * Who starts helm: default the hub's shared spawner process (spawner.ts), so a render never forks the hub
   * on its event loop.
   */
  readonly spawner?: Spawner;
}

/**
 * Renders a Helm pack with the real `helm template` (ADR 0002: Strata renders with Helm and applies with
 * server-side apply itself, so every object is watched and pruned the same way whatever its source). Values
 * go in on stdin as JSON (valid YAML), so nothing sensitive lands in a temp file or the process list.
 *
 * No value from a profile can become a Helm flag (issue 12: a chart name `--post-renderer=/bin/sh` piped the
 * rendering into a shell): flag values are joined to their flag (`--repo=<url>`), the release name and chart
 * come after `--`, and a value starting with `-` is refused before anything runs, naming its field.
 */
export function helmTemplate(pack: HelmPack, options: HelmTemplateOptions): Promise<string> {
  let args: string[];
  try {
    args = templateArgs(pack, options);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }

  const spawner = options.spawner ?? sharedSpawner();
  return spawner
    .run(options.helmBin, args, {
      input: JSON.stringify(pack.values),
      env: helmEnv(),
      timeoutMs: options.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
      ...(options.memoryLimitMib === undefined ? {} : { memoryLimitMib: options.memoryLimitMib }),
    })
    .then(
      ({ stdout }) => stdout,
      (error: unknown) => {
        if (!(error instanceof SpawnError)) {
          const why = error instanceof Error ? error.message : String(error);
          throw new EngineError(EngineErrorCode.RenderFailed, `helm template could not run: ${why}`, {
            cause: error,
          });
        }
        if (error.code === 'ENOENT') {
          throw new EngineError(EngineErrorCode.HelmMissing, `helm not found at ${options.helmBin}`, {
            cause: error,
          });
        }
        // Go's out-of-memory throw is a goroutine dump: what the user needs is which chart and the limit.
        if (error.memoryLimitMib !== undefined) {
          throw new EngineError(
            EngineErrorCode.RenderFailed,
            `helm template ${chartName(pack)} exceeded its memory limit (${String(error.memoryLimitMib)} MiB)`,
            { cause: error },
          );
        }
        // Helm's own message is the useful part ("Error: template: x/templates/y.yaml:3:5: ...").
        const detail = stableLists(error.stderr.trim().replace(/^Error: /, '')) || error.message;
        throw new EngineError(EngineErrorCode.RenderFailed, `helm template failed: ${detail}`, {
          cause: error,
        });
      },
    );
}

/** The chart as the profile names it: a local chart's path, a repository chart's name, an OCI reference. */
function chartName(pack: HelmPack): string {
  const chart = pack.chart;
  switch (chart.kind) {
    case ChartSourceKind.Local:
      return chart.path;
    case ChartSourceKind.Repo:
      return chart.name;
    case ChartSourceKind.Oci:
      return chart.ref;
    default:
      return assertNever(chart, 'chart source');
  }
}

/** The argv of `helm template`: flags first, each with its value joined by `=`, then `--` and the positionals. */
export function templateArgs(pack: HelmPack, options: HelmTemplateOptions): string[] {
  const where = `pack ${pack.name}`;
  const flags: string[] = [];
  const flag = (name: string, field: string, value: string) =>
    flags.push(`--${name}=${notAFlag(value, field, where)}`);

  let chartArg: string;
  const chart = pack.chart;
  switch (chart.kind) {
    case ChartSourceKind.Local:
      // The hub's own absolute path to the stored archive (never the client's path), so it cannot start with
      // `-`; the field is checked anyway so the error names what the user wrote.
      notAFlag(chart.path, 'chart.path', where);
      if (options.chartFile === undefined)
        throw new EngineError(
          EngineErrorCode.RenderFailed,
          `${where}: local chart ${JSON.stringify(chart.path)} has no stored archive to render`,
        );
      chartArg = options.chartFile;
      break;
    case ChartSourceKind.Repo:
    case ChartSourceKind.Oci:
      if (options.chartFile !== undefined) {
        // Pinned at publish: the stored archive, so a render never contacts the repository or registry again.
        chartArg = options.chartFile;
        break;
      }
      // Not pinned (a version stored before pinning, or the CLI): helm fetches the archive itself, so nothing
      // checked its values schema, whose `$ref`s helm's validator loads from any URL or file (chart-schema.ts).
      flags.push('--skip-schema-validation');
      if (chart.kind === ChartSourceKind.Oci) {
        chartArg = notAFlag(chart.ref, 'chart.oci', where);
        flag('version', 'chart.version', chart.version);
        break;
      }
      chartArg = notAFlag(chart.name, 'chart.name', where);
      flag('repo', 'chart.repo', chart.repo);
      flag('version', 'chart.version', chart.version);
      break;
    default:
      return assertNever(chart, 'chart source');
  }
  flag('namespace', 'namespace', pack.namespace.name);
  flags.push('--include-crds', '--skip-tests', '--values=-');
  const capabilities = options.capabilities;
  if (capabilities) {
    flag('kube-version', 'the cluster version', capabilities.kubeVersion);
    // One flag per entry: Helm splits a single --api-versions value on commas.
    for (const apiVersion of capabilities.apiVersions)
      flag('api-versions', 'a served API version', apiVersion);
  }
  const args = ['template', ...flags, '--', notAFlag(pack.releaseName, 'releaseName', where), chartArg];
  checkArgsSize(options.helmBin, args, where);
  return args;
}

/**
 * The most bytes helm's arguments may take. Linux refuses to start a program whose arguments and environment
 * together pass ARG_MAX, a quarter of the stack limit (2 MiB with the usual 8 MiB), or with any one argument
 * past MAX_ARG_STRLEN (128 KiB); each argument counts its bytes, its NUL and its 8-byte pointer. Half of ARG_MAX
 * leaves room for helm's environment (helmEnv: a few KiB) and for a smaller stack limit. A big real cluster's
 * `--api-versions` flags (DISCOVERY_MAX_API_VERSIONS in kube/discovery.ts) take a few hundred KiB.
 */
export const HELM_MAX_ARGS_BYTES = 1024 * 1024;
const MAX_ARG_BYTES = 128 * 1024;
const POINTER_BYTES = 8;

/**
 * Past the bounds the spawn fails with E2BIG, and the spawner's process (spawner-child.ts) with it, failing every
 * render it was running (review 16, item 3: 2,000 API groups gave 42,021 `--api-versions` flags, 2.4 MiB). Here
 * the pack fails before anything starts, saying why.
 */
function checkArgsSize(file: string, args: readonly string[], where: string): void {
  let total = Buffer.byteLength(file) + 1 + POINTER_BYTES;
  let apiVersions = 0;
  for (const [index, arg] of args.entries()) {
    const bytes = Buffer.byteLength(arg) + 1;
    if (bytes > MAX_ARG_BYTES) {
      // Named by its flag, never quoted: its value may be what a cluster's API server sent.
      const name = /^--[a-z-]+(?==)/.exec(arg)?.[0] ?? `number ${String(index + 1)}`;
      throw new EngineError(
        EngineErrorCode.RenderFailed,
        `${where}: helm's argument ${name} would take ${kib(bytes)}; Linux starts no program with an argument ` +
          `of more than ${kib(MAX_ARG_BYTES)}, so helm is not started`,
      );
    }
    total += bytes + POINTER_BYTES;
    if (arg.startsWith('--api-versions=')) apiVersions++;
  }
  if (total > HELM_MAX_ARGS_BYTES) {
    throw new EngineError(
      EngineErrorCode.RenderFailed,
      `${where}: helm's arguments would take ${kib(total)}, with ${String(apiVersions)} --api-versions flags ` +
        `for the APIs the cluster serves; the hub starts helm with at most ${kib(HELM_MAX_ARGS_BYTES)} of ` +
        'arguments (half of what Linux lets a program take), so helm is not started',
    );
  }
}

const kib = (bytes: number) => `${String(Math.ceil(bytes / 1024))} KiB`;

/**
 * Helm lists a values.schema.json's violations in a different order from one run to the next (Go map order);
 * sorted, the same values give the same message, so a red pack's reason does not change on each render.
 */
export function stableLists(message: string): string {
  const out: string[] = [];
  let run: string[] = [];
  for (const line of [...message.split('\n'), '']) {
    if (line.startsWith('- ')) {
      run.push(line);
      continue;
    }
    out.push(...run.sort());
    run = [];
    out.push(line);
  }
  return out.slice(0, -1).join('\n');
}

function notAFlag(value: string, field: string, where: string): string {
  if (value.startsWith('-')) {
    throw new EngineError(
      EngineErrorCode.RenderFailed,
      `${where}: ${field} "${value}" starts with "-"; Helm would read it as a flag, so it is refused`,
    );
  }
  return value;
}

/**
 * What of this process's environment helm may see: where to find programs and its own folders, proxies and CA
 * files (a CLI user's `--repo` render goes through them), and nothing else. The hub's environment holds its
 * secret key, its database URL with the password, cloud credentials: helm needs none of them, and a chart or
 * plugin must not get the chance to read them.
 */
const HELM_ENV =
  /^(PATH|HOME|TMPDIR|USER|LOGNAME|LANG|LC_ALL|TZ|SSL_CERT_FILE|SSL_CERT_DIR|HELM_[A-Z_]+|XDG_(CACHE|CONFIG|DATA)_HOME|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy)$/;

/** The folders and files noRegistryCredentials points helm at, instead of this machine's user's. */
export interface NoMachineLogins {
  readonly HELM_REGISTRY_CONFIG: string;
  readonly DOCKER_CONFIG: string;
  readonly HELM_REPOSITORY_CONFIG: string;
  readonly HELM_REPOSITORY_CACHE: string;
  readonly HELM_PLUGINS: string;
}

/**
 * helm's configs in `dir`, naming no login, no credential helper, no repository and no plugin of this machine's
 * user:
 * - the registry config and Docker's: a missing one is not enough, as helm (oras-go) then looks for the
 *   platform's credential helper on PATH (docker-credential-secretservice or -pass: this machine's user's
 *   logins), in its own config and again in Docker's, and sends what it finds to whatever token service a
 *   registry's challenge names. An `auths` entry for a name that never resolves (`.invalid`, RFC 6761) counts as
 *   configured, so neither looks;
 * - the repositories (`helm repo add`): helm sends a configured repository's username and password with any
 *   chart URL under it, so a profile naming such a URL would pull with the hub user's login (review 12, item 5);
 * - the plugins folder: a chart URL's scheme picks a downloader plugin (`s3://` runs helm-s3), a program a
 *   profile would choose.
 */
export function noRegistryCredentials(dir: string): NoMachineLogins {
  const config = join(dir, 'config.json');
  writeFileSync(config, '{"auths":{"strata.invalid":{}}}\n');
  const repositories = join(dir, 'repositories.yaml');
  writeFileSync(repositories, 'apiVersion: ""\nrepositories: []\n');
  const plugins = join(dir, 'no-plugins');
  mkdirSync(plugins, { recursive: true });
  return {
    HELM_REGISTRY_CONFIG: config,
    DOCKER_CONFIG: dir,
    HELM_REPOSITORY_CONFIG: repositories,
    HELM_REPOSITORY_CACHE: join(dir, 'repository-cache'),
    HELM_PLUGINS: plugins,
  };
}

let emptyConfigs: ReturnType<typeof noRegistryCredentials> | undefined;

export function helmEnv(from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(from)) if (HELM_ENV.test(name)) env[name] = value;
  // The release namespace is always given as a flag: a HELM_NAMESPACE in the environment must not change it.
  env.HELM_NAMESPACE = '';
  // No registry credentials of this machine's user (helm's registry config, Docker's config and its credential
  // helpers): helm (oras-go) sends them to whatever token service a registry's challenge names, and the chart
  // an unpinned render pulls is named by a profile. A chart source's own password is used by the hub's own
  // client only (chart-fetch.ts); an unpinned OCI chart is pulled anonymously. One folder for the process.
  // Made again if a temp cleaner took it: without it helm would look for a credential helper again.
  if (emptyConfigs === undefined || !existsSync(emptyConfigs.HELM_REGISTRY_CONFIG))
    emptyConfigs = noRegistryCredentials(mkdtempSync(join(tmpdir(), 'strata-helm-no-logins-')));
  return { ...env, ...emptyConfigs };
}
