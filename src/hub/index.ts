// The hub's services (clusters, profiles, attachments, pack status, the live stream) over the store and the
// cluster runners, behind the `Hub` facade. The HTTP API (src/server) is a thin layer over this.
export {
  Hub,
  type Actor,
  type AttachInput,
  type HubConfig,
  type HubEvent,
  type ProfileUpload,
} from './hub.js';
export { HubError, HubErrorCode } from './errors.js';
export { HISTORY_PAGE, RUNS_PAGE, TIMELINE_PAGE } from './packs.js';
export * from './views.js';
export {
  ClusterSummarySchema,
  packTiming,
  StreamEventSchema,
  type ClusterSummaryView,
  type PackTiming,
} from './stream-events.js';
export type { PackTransition } from '../status/index.js';
export type { Tokens } from './tokens.js';
export type { AgentCaller, RegisteredAgentCluster } from './agents.js';
export * from './agents-protocol.js';
export type { ChartSources } from './sources.js';
export { TokenRole, type CreatedToken, type TokenRecord } from '../store/index.js';
