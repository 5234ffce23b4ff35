// May the hub use a cluster? Its kubeconfig's rules (exec plugins) and its addresses (denied ranges) first,
// before any request, then whether its API server answers and accepts the credentials.
import {
  DEFAULT_OUTBOUND_DENY,
  KubeClient,
  KubeError,
  KubeErrorCode,
  type AddressRange,
} from '../kube/index.js';
import { shownKubeText } from '../kube/shown-url.js';
import type { HubConfig } from './config.js';
import { HubError, HubErrorCode, message } from './errors.js';

export class ClusterAccess {
  constructor(private readonly config: HubConfig) {}

  /** A client for the kubeconfig, held to the hub's exec-plugin rules (a KubeError when it breaks them). */
  client(name: string, kubeconfig: string, context?: string): KubeClient {
    return KubeClient.fromString(kubeconfig, {
      source: `for cluster "${name}"`,
      allowedExecPlugins: this.config.allowedExecPlugins ?? [],
      outboundDeny: [...this.outboundDeny()],
      ...(context ? { context } : {}),
      // A replica's writes are told apart in an API server's audit log (who applied what, and when).
      ...(this.config.replica ? { userAgent: `strata replica/${this.config.replica.id}` } : {}),
    });
  }

  /**
   * Why a cluster's stored kubeconfig cannot be used under the hub's rules as they are now, and what to do, for
   * its status; undefined when `error` (from client() or checkOutbound()) is something else. The rules refuse
   * what was allowed when the cluster was added (an exec argument or plugin, an address range) after an
   * upgrade or an admin's change: the cluster is named, and the refusal names the kubeconfig's user and field.
   */
  storedRefusal(name: string, error: unknown): string | undefined {
    const refused =
      (error instanceof KubeError && error.code === KubeErrorCode.BadKubeconfig) ||
      (error instanceof HubError && error.code === HubErrorCode.KubeconfigInvalid);
    if (!refused) return undefined;
    return (
      `the stored kubeconfig of cluster "${name}" is refused by the hub's rules now in force, so the cluster ` +
      `is not started (${message(error)}). Give it a kubeconfig the hub accepts: \`strata cluster rm ${name}\` (what it ` +
      `installed stays) and \`strata cluster add ${name} --kubeconfig FILE\`, then attach its profiles again`
    );
  }

  /** The cluster's server and proxy are in no denied address range (checked before any request). */
  async checkOutbound(kube: KubeClient, name: string): Promise<void> {
    try {
      await kube.checkOutbound(this.outboundDeny());
    } catch (error) {
      throw new HubError(HubErrorCode.KubeconfigInvalid, this.outboundMessage(name, error), { cause: error });
    }
  }

  /**
   * Can the hub use this cluster? First that its server and proxy are in no denied address range (before any
   * request), then that its API server answers and accepts the credentials.
   */
  async check(kube: KubeClient, name: string): Promise<void> {
    await this.checkOutbound(kube, name);
    const timeoutMs = this.config.accessTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        kube.checkAccess(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(
              new KubeError(
                KubeErrorCode.Timeout,
                `no answer from ${kube.server} within ${timeoutMs / 1000}s`,
              ),
            );
          }, timeoutMs);
        }),
      ]);
    } catch (error) {
      const e = error instanceof KubeError ? error : undefined;
      // The API server chooses a refusal's text (a Status message): cut and cleaned as every text about a cluster.
      const detail = shownKubeText(`cluster "${name}": ${message(error)}`);
      if (e?.code === KubeErrorCode.Unauthorized)
        throw new HubError(HubErrorCode.ClusterUnauthorized, detail, { cause: error });
      if (e?.code === KubeErrorCode.Forbidden)
        throw new HubError(HubErrorCode.ClusterForbidden, detail, { cause: error });
      if (/TLS|certificate/i.test(message(error)))
        throw new HubError(HubErrorCode.ClusterTls, detail, { cause: error });
      throw new HubError(HubErrorCode.ClusterUnreachable, detail, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  outboundDeny(): ReadonlySet<AddressRange> {
    return new Set(this.config.outboundDeny ?? DEFAULT_OUTBOUND_DENY);
  }

  /** Names the cluster, the URL and the setting that decides it. */
  private outboundMessage(name: string, error: unknown): string {
    const denied = [...this.outboundDeny()].join(',') || 'none';
    const setting =
      error instanceof KubeError && error.code === KubeErrorCode.OutboundDenied
        ? ` (STRATA_OUTBOUND_DENY=${denied}; an admin can change it with STRATA_OUTBOUND_DENY or \`strata serve --outbound-deny\`)`
        : '';
    return `cluster "${name}": ${message(error)}${setting}`;
  }
}
