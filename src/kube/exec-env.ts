// An exec plugin the hub's admin allowed (kubeconfig-policy.ts) runs on the hub's machine, and client-node
// starts it with the hub's whole environment: STRATA_SECRET_KEY, the database URL with its password, and
// whatever else the hub was given. A credential helper reads far less, so a plugin a hub runs gets only the
// variables below from the hub (plus what the kubeconfig's `env` sets, which the policy has checked).
import { spawn, type SpawnOptions } from 'node:child_process';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * What credential helpers read from the environment they are started in: where programs and the user's
 * home are, locale and time zone, TLS roots and proxies, and the cloud SDKs' own settings and credentials
 * (aws, az/kubelogin, gcloud), which an operator gives the hub on purpose for these plugins.
 */
const PASSED =
  /^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|SSL_CERT_FILE|SSL_CERT_DIR|HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy|KUBERNETES_EXEC_INFO)$|^(AWS_|AZURE_|ARM_|GOOGLE_|CLOUDSDK_|GCE_)/;

/** The environment a plugin is started with: the hub's passed variables, then the kubeconfig's own. */
export function pluginEnv(
  hub: NodeJS.ProcessEnv,
  requested: NodeJS.ProcessEnv | undefined,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(hub)) if (PASSED.test(name)) env[name] = value;
  // client-node hands over `{ ...process.env, ...exec.env }`: what differs from the hub's is the kubeconfig's.
  for (const [name, value] of Object.entries(requested ?? {})) if (hub[name] !== value) env[name] = value;
  return env;
}

interface ExecAuthenticator {
  execFn: (command: string, args: readonly string[], options: SpawnOptions) => ReturnType<typeof spawn>;
}

/** Makes `kc`'s exec plugins start with `pluginEnv` instead of the hub's whole environment. */
export function confineExecPlugins(kc: KubeConfig): void {
  // client-node keeps its authenticators private and does not export ExecAuth; it is the one that spawns.
  const { authenticators } = kc as unknown as { authenticators: unknown[] };
  const exec = authenticators.find(
    (a): a is ExecAuthenticator => typeof (a as Partial<ExecAuthenticator>).execFn === 'function',
  );
  if (exec === undefined) {
    throw new Error(
      'client-node has no exec authenticator to confine: its internals changed (see exec-env.ts)',
    );
  }
  exec.execFn = (command, args, options) =>
    spawn(command, args, { ...options, env: pluginEnv(process.env, options.env) });
}
