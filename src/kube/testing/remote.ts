// For tests of the hub against a misbehaving remote on 127.0.0.1 (a tiny HTTP server standing in for a hostile
// or broken API server): a kubeconfig that points at it, and the KubeError a call must fail with.
import { KubeError } from '../errors.js';

/** A kubeconfig for `server` with a bearer token; plain http needs insecure-skip-tls-verify in client-node. */
export function kubeconfigFor(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{ name: c, cluster: { server: "${server}", insecure-skip-tls-verify: true } }]`,
    'users: [{ name: u, user: { token: abc } }]',
    'contexts: [{ name: ctx, context: { cluster: c, user: u } }]',
    'current-context: ctx',
  ].join('\n');
}

/** The KubeError `promise` rejects with; anything else (a success, another error) fails the test. */
export async function rejection(promise: Promise<unknown>): Promise<KubeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KubeError) return error;
    throw error;
  }
  throw new Error('expected a KubeError');
}
