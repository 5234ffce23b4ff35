// The hub's services (clusters, profiles, attachments, pack status, the live stream) over the store and the
// cluster runners. The HTTP API (src/server) is a thin layer over this.
export {
  Hub,
  type Actor,
  type AttachInput,
  type AttachmentView,
  type ClusterPage,
  type HubConfig,
  type HubEvent,
  type PackDiff,
  type ProfileSummaryView,
  type ProfileVersionView,
} from './hub.js';
export { HubError, HubErrorCode } from './errors.js';
export type { ClusterView, DriftView, PackValuesView, PackView, PhaseCounts, ResourceView } from './views.js';
export type { PackTransition } from '../status/index.js';
