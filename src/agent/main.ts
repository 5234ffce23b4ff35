// The agent's composition root: the kube client (a kubeconfig file, or the pod's ServiceAccount when run inside
// the cluster), the hub client and the Agent, stopped cleanly on SIGINT/SIGTERM.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeClient } from '../kube/index.js';
import { Agent } from './agent.js';
import { HubClient } from './hub-client.js';

export interface RunAgentOptions {
  readonly hub: string;
  readonly token: string;
  /** The token may go over plain http:// to a hub on another machine (see shared/plain-http.ts). */
  readonly insecureHttp?: boolean;
  /** A kubeconfig file; without it, the in-cluster ServiceAccount. */
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly stateDir: string;
  readonly helmBin: string;
  /** KUBERNETES_SERVICE_HOST / _PORT, as the process got them. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log: (line: string) => void;
  readonly pollMs?: number;
}

/** Where Kubernetes mounts a pod's ServiceAccount credentials. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export class AgentConfigError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'AgentConfigError';
  }
}

export async function startAgent(options: RunAgentOptions): Promise<Agent> {
  const kube =
    options.kubeconfig === undefined
      ? await inClusterClient(options.env)
      : KubeClient.fromFile(
          options.kubeconfig,
          options.context === undefined ? {} : { context: options.context },
        );
  const client = new HubClient({
    hub: options.hub,
    token: options.token,
    ...(options.insecureHttp === undefined ? {} : { insecureHttp: options.insecureHttp }),
  });
  const agent = new Agent({
    client,
    kube,
    helmBin: options.helmBin,
    stateDir: options.stateDir,
    log: options.log,
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
  });
  await agent.start();
  return agent;
}

/**
 * The pod's own credentials (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/): the API
 * server from KUBERNETES_SERVICE_HOST/PORT, the ServiceAccount token and CA mounted in the pod. They are read at
 * start: a restart picks up a rotated token (the Deployment restarts the agent should it expire).
 */
export async function inClusterClient(
  env: RunAgentOptions['env'],
  serviceAccountDir = SERVICE_ACCOUNT_DIR,
): Promise<KubeClient> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (host === undefined || host === '') {
    throw new AgentConfigError(
      'not running inside a cluster (KUBERNETES_SERVICE_HOST is not set): give the agent --kubeconfig FILE',
    );
  }
  const read = async (name: string) => {
    try {
      return await readFile(join(serviceAccountDir, name), 'utf8');
    } catch (cause) {
      throw new AgentConfigError(
        `cannot read the pod's ServiceAccount ${name} in ${serviceAccountDir} (is automountServiceAccountToken off?)`,
        { cause },
      );
    }
  };
  // One after the other, token first: with no mount at all the error names the token, not whichever read
  // happened to fail first.
  const token = await read('token');
  const ca = await read('ca.crt');
  const namespace = await read('namespace');
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const kubeconfig = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'in-cluster',
        cluster: { server, 'certificate-authority-data': Buffer.from(ca).toString('base64') },
      },
    ],
    users: [{ name: 'service-account', user: { token: token.trim() } }],
    contexts: [
      {
        name: 'in-cluster',
        context: { cluster: 'in-cluster', user: 'service-account', namespace: namespace.trim() },
      },
    ],
    'current-context': 'in-cluster',
  });
  return KubeClient.fromString(kubeconfig, { source: 'of the pod (in-cluster ServiceAccount)' });
}
