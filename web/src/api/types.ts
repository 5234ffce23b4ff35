// The shapes the hub's HTTP API speaks: the types generated from its OpenAPI document
// (src/server/client-types.ts), under the names the UI uses, plus what the document leaves open (the payload
// of a `pack.status` stream event is `unknown` there). web/ talks only to the HTTP API (architecture.md).
import type { PackPhase } from '../status/phase';

export type {
  Attachment as AttachmentView,
  Cluster as ClusterView,
  ClusterPage,
  Drift,
  ObjectRef,
  Pack as PackView,
  PackDiff,
  PackPhase as ApiPackPhase,
  PackRun,
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
  TokenRole as Role,
  ValidationResult,
} from '../../../src/server/client-types';
import type { ObjectRef, PackCondition, PackRun, ResourceState } from '../../../src/server/client-types';

export interface PackProgress {
  readonly ready: number;
  readonly total: number;
}

/** One message of the live stream (`data:` of an SSE message). */
export interface StreamEvent {
  readonly id?: number;
  readonly kind: string;
  readonly cluster?: string;
  readonly pack?: string;
  readonly time: string;
  readonly data: unknown;
}

/** A pack's stored status record as carried by `pack.status` events (data.status). */
export interface PackStatusRecord {
  readonly phase: PackPhase;
  readonly condition: PackCondition;
  readonly reason: string;
  readonly message: string;
  readonly progress: PackProgress;
  readonly startTime?: string;
  readonly endTime?: string;
  /** Every run's times (install, upgrade, retry), oldest first. */
  readonly runs?: readonly PackRun[];
  readonly seq?: number;
  readonly resources: readonly {
    readonly ref: ObjectRef;
    readonly evaluation: { readonly state: ResourceState; readonly reason: string; readonly message: string };
  }[];
}
