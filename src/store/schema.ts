// The tables as Kysely sees them. One schema for both backends, so column types are the common subset:
// - times are ISO-8601 UTC text (`Date.toISOString()`), which sorts correctly as text on both;
// - JSON is text, parsed in the repositories (SQLite has no JSON column type; jsonb would make pg return
//   objects where SQLite returns strings);
// - booleans are integers 0/1 (SQLite has no boolean);
// - sealed secrets are text envelopes (see crypto.ts).
import type { Generated, Insertable, Selectable } from 'kysely';

export interface MetaTable {
  key: string;
  value: string;
}

export interface ClustersTable {
  id: string;
  name: string;
  /** Sealed JSON `{ kubeconfig, context }`. */
  credentials: string;
  drift_policy: string;
  created_at: string;
  updated_at: string;
}

/** Migration 0008: the agent of an agent cluster (issue 16). */
export interface ClusterAgentsTable {
  cluster_id: string;
  /** sha256 of the agent token (tokens.ts explains why a plain digest). */
  token_hash: string;
  created_at: string;
  last_seen_at: string | null;
  /** The agent's status stream (its state's id); a new one starts its sequence again. */
  stream: string | null;
  /** The last event of `stream` stored. */
  last_seq: Generated<number>;
}

export interface ProfilesTable {
  name: string;
  version: string;
  type: string;
  source: string;
  /** The parsed ClusterProfile as JSON. */
  parsed: string;
  /** The PROFILE_PARSER_VERSION that wrote `parsed`; 0 for versions stored before it was recorded. */
  parser_version: Generated<number>;
  /** sha256 of `source`: what "the same content" means when a version is published twice. */
  content_hash: string;
  published: number;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  /** JSON object: each local chart or file path the version uses → the sha256 of its blob. */
  blobs: Generated<string>;
}

export interface BlobsTable {
  /** sha256 of `content`, hex. */
  digest: string;
  size: number;
  content: Uint8Array;
  created_at: string;
}

export interface RendersTable {
  cluster_id: string;
  pack: string;
  /** Sealed JSON `{ key, manifest }` (crypto.ts): a rendering holds the chart's Secrets. */
  sealed: string;
  kube_version: string | null;
  /** The manifest's length in characters, for stats. */
  size: number;
  created_at: string;
}

export interface AttachmentsTable {
  id: string;
  cluster_id: string;
  profile_name: string;
  profile_version: string;
  /** JSON object of the values that are not sensitive. */
  plain_values: string;
  /** Sealed JSON object of the sensitive values, or null when there are none. */
  secret_values: string | null;
  /** JSON array of the names of the sensitive values. */
  sensitive_names: string;
  created_at: string;
  updated_at: string;
}

export interface PackStatusTable {
  cluster_id: string;
  pack: string;
  revision: string;
  operation: string;
  /** JSON PackStage. */
  stage: string;
  /** JSON PackTimeout or null. */
  timed_out: string | null;
  phase: string;
  condition: string;
  reason: string;
  message: string;
  progress_ready: number;
  progress_total: number;
  start_time: string | null;
  end_time: string | null;
  /** JSON PackResource[]. */
  resources: string;
  /** JSON PackRunTimes[] (migration 0005); null in rows written before. */
  runs: string | null;
  /** The id of the event that wrote this row: increases with every write, comparable with event ids. */
  seq: number;
  updated_at: string;
}

export interface EventsTable {
  id: Generated<number>;
  time: string;
  /** No foreign key: the history outlives the cluster (a deleted cluster's events stay readable). */
  cluster_id: string | null;
  cluster: string | null;
  pack: string | null;
  kind: string;
  /** JSON payload, shaped by `kind`. */
  data: string;
  /** The cluster lease epoch a fenced write was made under (migration 0007); null when unfenced. */
  lease_epoch: Generated<number | null>;
}

export interface AuditTable {
  id: Generated<number>;
  time: string;
  actor_token_id: string | null;
  actor_name: string;
  action: string;
  target: string;
  details: string;
}

export interface TokensTable {
  id: string;
  name: string;
  role: string;
  /** sha256 of the plaintext token, hex. */
  hash: string;
  created_at: string;
  last_used_at: string | null;
}

export interface HealthRulesTable {
  version: Generated<number>;
  rules: string;
  source: string;
  actor_name: string;
  created_at: string;
}

export interface ChartSourcesTable {
  name: string;
  url: string;
  username: string | null;
  /** Sealed JSON `{ password?, caPem? }`, or null. */
  secret: string | null;
  insecure_skip_tls_verify: number;
  plain_http: number;
  created_at: string;
  updated_at: string;
}

export interface PinnedChartsTable {
  profile_name: string;
  profile_version: string;
  /** The remote chart as the pack names it (remoteChartKey in src/profile). */
  chart: string;
  /** sha256 of the archive, a blob. */
  digest: string;
}

export interface HubReplicasTable {
  id: string;
  address: string;
  started_at: string;
  heartbeat_at: string;
}

export interface ClusterLeasesTable {
  cluster_id: string;
  /** The replica driving the cluster; null once released. */
  holder: string | null;
  /** Grows by one on every takeover: a write made under an older epoch is refused. */
  epoch: number;
  expires_at: string;
  acquired_at: string;
  /** JSON DriverState, written by the holder at each renewal. */
  driver_state: string | null;
}

export interface Database {
  strata_meta: MetaTable;
  clusters: ClustersTable;
  cluster_agents: ClusterAgentsTable;
  profiles: ProfilesTable;
  blobs: BlobsTable;
  attachments: AttachmentsTable;
  renders: RendersTable;
  pack_status: PackStatusTable;
  events: EventsTable;
  audit: AuditTable;
  tokens: TokensTable;
  chart_sources: ChartSourcesTable;
  pinned_charts: PinnedChartsTable;
  health_rules: HealthRulesTable;
  hub_replicas: HubReplicasTable;
  cluster_leases: ClusterLeasesTable;
}

export type Row<T extends keyof Database> = Selectable<Database[T]>;
export type NewRow<T extends keyof Database> = Insertable<Database[T]>;
