// A kubeconfig a client sends to the hub is data, not a program: client-node would run its exec plugins and
// auth-providers (gcp/azure `cmd-path`) and read every file it names (`token-file` already while parsing,
// certificates and keys at the first request), all on the hub's machine and with the hub's rights. So the
// parsed YAML is checked here, before client-node sees it. An exec plugin an admin allowed runs only in the shape
// of its token-getting command (kubeconfig-exec-plugins.ts).
import {
  argsRefusal,
  envCause,
  envValueRefusal,
  pluginShape,
  type PluginShape,
} from './kubeconfig-exec-plugins.js';

export interface KubeconfigPolicy {
  /**
   * Exec plugins an admin allowed, by command name (`aws`, `gke-gcloud-auth-plugin`). A kubeconfig may run
   * one only by that bare name, found on the hub's PATH: never a path the client chose.
   */
  readonly allowedExecPlugins: readonly string[];
}

const FLATTEN =
  'inline it (`kubectl config view --flatten --minify` writes certificate and key files into *-data fields), ' +
  'or add the cluster with `strata cluster add --kubeconfig FILE`, which inlines the files it can read on ' +
  'your machine';

const TOKEN_FILE =
  'put the token itself in "token", or add the cluster with `strata cluster add --kubeconfig FILE`, which ' +
  'reads the token file on your machine';

const ALLOW_HINT =
  "or ask the hub's admin to allow this plugin by name (STRATA_ALLOWED_EXEC_PLUGINS or `strata serve " +
  '--allow-exec-plugin`)';

/** Fields client-node (or client-go, whose `tokenFile` spelling people copy) reads as a path. */
const userFiles = ['client-certificate', 'client-key'] as const;
const tokenFiles = ['token-file', 'tokenFile'] as const;

/** How an admin runs a plugin in a shape Strata does not allow, for messages. */
const WRAPPER_HINT =
  "an admin who wants it run otherwise can put a script on the hub's PATH that runs the exact command and " +
  'allow that script by name (STRATA_ALLOWED_EXEC_PLUGINS or `strata serve --allow-exec-plugin`)';

export class KubeconfigRefusal extends Error {
  override readonly name = 'KubeconfigRefusal';
}

/** A value client-node would act on: anything but absent, null or the empty string (`readFileSync(0)` reads stdin). */
function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function entries(list: unknown, kind: string): { label: string; body: Record<string, unknown> }[] {
  if (!Array.isArray(list)) return [];
  return list.map((item: unknown, i) => {
    const entry = record(item);
    const name = entry?.name;
    const label = typeof name === 'string' && name !== '' ? `${kind} "${name}"` : `${kind}s[${i}]`;
    return { label, body: record(entry?.[kind]) ?? {} };
  });
}

/**
 * Throws KubeconfigRefusal naming the user or cluster, the field and how to fix it, for the first thing in
 * the kubeconfig that would run a program or read a file on this machine. Checks every user and cluster, not
 * only the current context's: the whole document is stored, and a later context switch must not open it up.
 */
export function checkKubeconfigIsData(config: Record<string, unknown>, policy: KubeconfigPolicy): void {
  for (const { label, body } of entries(config.clusters, 'cluster')) {
    const ca = body['certificate-authority'];
    if (present(ca)) {
      throw new KubeconfigRefusal(
        `${label}: certificate-authority names a file (${shown(ca)}) and the hub reads no file a kubeconfig names: ${FLATTEN}`,
      );
    }
  }
  for (const { label, body } of entries(config.users, 'user')) {
    for (const field of userFiles) {
      if (present(body[field])) {
        throw new KubeconfigRefusal(
          `${label}: ${field} names a file (${shown(body[field])}) and the hub reads no file a kubeconfig names: ${FLATTEN}`,
        );
      }
    }
    for (const field of tokenFiles) {
      if (present(body[field])) {
        throw new KubeconfigRefusal(
          `${label}: ${field} names a file (${shown(body[field])}) and the hub reads no file a kubeconfig names: ${TOKEN_FILE}`,
        );
      }
    }
    const provider = body['auth-provider'];
    if (present(provider)) {
      const name = record(provider)?.name;
      throw new KubeconfigRefusal(
        `${label}: auth-provider${typeof name === 'string' ? ` "${name}"` : ''} is refused: auth-providers run ` +
          'commands (cmd-path) or read token files on the hub. Use a token or a client certificate (e.g. a ' +
          'ServiceAccount token), or an exec plugin the admin allowed (gke-gcloud-auth-plugin replaces gcp, ' +
          'kubelogin replaces azure and oidc)',
      );
    }
    if (present(body.exec)) checkExec(label, body.exec, policy);
  }
}

function checkExec(label: string, value: unknown, policy: KubeconfigPolicy): void {
  const exec = record(value);
  const command = exec?.command;
  if (typeof command !== 'string' || command === '') {
    throw new KubeconfigRefusal(`${label}: exec has no command`);
  }
  const base = command.split(/[/\\]/).at(-1) ?? '';
  if (!policy.allowedExecPlugins.includes(base)) {
    throw new KubeconfigRefusal(
      `${label}: exec runs "${command}" and the hub runs no program a kubeconfig names: use a token or a ` +
        `client certificate (e.g. a ServiceAccount token), ${ALLOW_HINT}`,
    );
  }
  if (command !== base) {
    throw new KubeconfigRefusal(
      `${label}: exec command "${command}" is a path: the allowed plugin "${base}" runs by its name only, from ` +
        `the hub's PATH; write command: ${base}`,
    );
  }
  const { shape, known } = pluginShape(base);
  const args: unknown = exec?.args ?? [];
  if (!Array.isArray(args)) throw new KubeconfigRefusal(`${label}: exec args must be a list of strings`);
  const refused = argsRefusal(shape, args);
  if (refused !== undefined) {
    throw new KubeconfigRefusal(
      `${label}: exec ${refused}: ${runsOnly(base, shape, known)}; ${WRAPPER_HINT}`,
    );
  }
  const env: unknown = exec?.env ?? [];
  if (!Array.isArray(env)) throw new KubeconfigRefusal(`${label}: exec env must be a list of {name, value}`);
  for (const item of env) {
    const name = record(item)?.name;
    if (typeof name !== 'string' || !shape.env.includes(name)) {
      const allowed = !known
        ? `Strata does not know the plugin "${base}", so it is given no variable`
        : shape.env.length === 0
          ? `"${base}" is given no variable`
          : `"${base}" may be given only ${shape.env.join(', ')}`;
      throw new KubeconfigRefusal(
        `${label}: exec env ${shown(name)} is refused: ${envCause(String(name))}. ${allowed}; ${WRAPPER_HINT}`,
      );
    }
    const badValue = envValueRefusal(name, record(item)?.value);
    if (badValue !== undefined)
      throw new KubeconfigRefusal(`${label}: exec env ${shown(name)} is refused: ${badValue}`);
  }
}

/** What the plugin may run as, for messages: its command's shape, or nothing but its name. */
function runsOnly(base: string, shape: PluginShape, known: boolean): string {
  return known
    ? `the allowed plugin "${base}" runs with the hub's identity, so only as \`${shape.usage}\``
    : `Strata does not know the plugin "${base}", so it runs without arguments`;
}
