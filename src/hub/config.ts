import type { AddressRange } from '../kube/index.js';
import type { Store } from '../store/index.js';
import type { ReplicaConfig } from './replica.js';
import type { RetentionPolicy } from './retention.js';

export interface Actor {
  readonly tokenId?: string;
  readonly name: string;
}

export interface HubConfig {
  readonly store: Store;
  readonly helmBin: string;
  /**
   * The hub's own folder for chart archives it renders from (`<data dir>/charts`), each named by its digest;
   * default a new temporary folder. Local charts reach the hub only as uploaded content.
   */
  readonly chartCacheDir?: string;
  /** How long registering a cluster waits for its API server. Default 10 s. */
  readonly accessTimeoutMs?: number;
  /**
   * Exec credential plugins a cluster's kubeconfig may run on the hub, by command name (STRATA_ALLOWED_EXEC_PLUGINS).
   * Default none: a kubeconfig with exec, auth-provider or a file reference is refused.
   */
  readonly allowedExecPlugins?: readonly string[];
  /** Address ranges a cluster's server or proxy-url may not be in (STRATA_OUTBOUND_DENY). Default link-local. */
  readonly outboundDeny?: readonly AddressRange[];
  readonly log?: (message: string) => void;
  /**
   * Run as one of several hub replicas on one PostgreSQL (issue 16): clusters are driven under leases, spread
   * over the live replicas, and the live stream follows every replica's events. Absent: this hub drives every
   * cluster (SQLite, or a single hub).
   */
  readonly replica?: ReplicaConfig;
  /** How much pack history is kept (retention.ts). Default 1000 transitions per pack, 90 days. */
  readonly retention?: RetentionPolicy;
  /**
   * Bytes every hub-driven cluster's list+watch may hold, all together (`--watch-cache-mib`, kube/watch-budget.ts).
   * Default a quarter of the heap limit (defaultWatchBudgetBytes).
   */
  readonly watchBudgetBytes?: number;
  /** The clock API tokens are taken on trust by (ms, monotonic; tokens.ts). Default performance.now; tests pin it. */
  readonly tokenClock?: () => number;
}
