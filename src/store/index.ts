/**
 * Strata's store: clusters, profiles, attachments, pack status and its history, audit log and API tokens, on
 * SQLite or PostgreSQL with the same code. Import from `./index.js`; see README.md.
 */
export { createStore, type Repositories, type Store, type StoreOptions } from './store.js';
export { Backend, parseDatabaseUrl, redactUrl, type DatabaseLocation } from './url.js';
export { isStoreError, StoreError, StoreErrorCode, type StoreEntity } from './errors.js';
export { KEY_FILE_NAME, keyFingerprint, loadOrCreateKeyFile, parseSecretKey } from './crypto.js';
export type { EventListener } from './context.js';
export type { Listening } from './listen.js';
export { asciiJson } from './broadcast.js';
export {
  ClustersRepository,
  DriftPolicy,
  validateClusterName,
  type ClusterCredentials,
  type ClusterRecord,
  type CreateClusterInput,
  type UpdateClusterInput,
} from './clusters.js';
export { BlobsRepository, MAX_BLOB_BYTES } from './blobs.js';
export {
  ChartSourcesRepository,
  PinnedChartsRepository,
  type ChartSourceCredentials,
  type ChartSourceInput,
  type ChartSourceRecord,
  type ChartSourceSecret,
} from './chart-sources.js';
export {
  ProfilesRepository,
  type LatestOptions,
  type ProfileInput,
  type ProfileSummary,
  type ProfileVersionRecord,
  type StoredProfile,
} from './profiles.js';
export {
  AttachmentsRepository,
  type AttachInput,
  type AttachmentRecord,
  type UpdateAttachmentInput,
  type VariableValues,
} from './attachments.js';
export { RendersRepository, type RenderInput, type RenderRecord } from './renders.js';
export {
  PackStatusRepository,
  toPackStatus,
  type PackStatusRecord,
  type PhaseCounts,
  type RecordPackStatusInput,
  type RecordedPackStatus,
} from './pack-status.js';
export {
  EventKind,
  HistoryRepository,
  type EventsSinceOptions,
  type StoredEvent,
  type StoredTransition,
  type TransitionHistoryOptions,
} from './transitions.js';
export {
  AuditRepository,
  type AuditActor,
  type AuditEntry,
  type AuditInput,
  type AuditListOptions,
} from './audit.js';
export {
  AGENT_TOKEN_PREFIX,
  AgentsRepository,
  type AgentRecord,
  type CreatedAgentCluster,
} from './agents.js';
export {
  TOKEN_PREFIX,
  TokenRole,
  TokensRepository,
  type CreateTokenInput,
  type CreatedToken,
  type TokenRecord,
} from './tokens.js';
export { HealthRulesRepository, type HealthRulesRecord } from './health-rules.js';
export {
  LeasesRepository,
  type DriverState,
  type LeaseFence,
  type LeaseRecord,
  type ReplicaRecord,
} from './leases.js';
