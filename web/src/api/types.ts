// The shapes the hub's HTTP API speaks: the types generated from its OpenAPI document
// (src/server/client-types.ts), under the names the UI uses. The live stream's messages are one union there
// (`Event`, one schema per kind), so nothing here restates a hub record. web/ talks only to the HTTP API
// (architecture.md).

export type {
  Attachment as AttachmentView,
  ChartSource,
  Cluster as ClusterView,
  ClusterPage,
  ClusterTransitions,
  Drift,
  Event as StreamEvent,
  ObjectRef,
  OutdatedChart,
  Pack as PackView,
  PackDiff,
  PackHistory,
  PackPhase as ApiPackPhase,
  PackRun,
  PackRuns,
  PackResource as ResourceView,
  PackTransition,
  PackTransitions,
  PackValues,
  PhaseColor,
  PhaseCounts,
  Problem,
  ProfileIssue,
  ProfileSummary,
  ProfileVersion,
  ProfileWithSource,
  PutChartSource,
  TokenRole as Role,
  ValidationResult,
} from '../../../src/server/client-types';
