// The shapes the hub's HTTP API speaks (src/server/schemas.ts). Hand-mirrored until the server publishes
// generated client types; web/ talks only to the HTTP API (architecture.md), so it does not import the hub.
import type { PackPhase } from '../status/phase';

export type PhaseColor = 'gray' | 'blue' | 'green' | 'red';
export type PhaseCounts = Record<PackPhase, number>;
export type Role = 'viewer' | 'operator' | 'admin';

export interface ClusterView {
  readonly name: string;
  readonly server: string;
  readonly context: string;
  readonly driftPolicy: 'correct' | 'report';
  readonly createdAt: string;
  readonly reachable: boolean;
  readonly error?: string;
  readonly phase: PackPhase;
  readonly color?: PhaseColor;
  readonly counts: PhaseCounts;
  readonly packs: number;
}

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export interface ResourceView {
  readonly ref: ObjectRef;
  readonly state: string;
  readonly reason: string;
  readonly message: string;
}

export interface PackProgress {
  readonly ready: number;
  readonly total: number;
}

export interface PackView {
  readonly name: string;
  readonly profile: string;
  readonly layer: string;
  readonly version: string;
  readonly type: string;
  readonly wave: number;
  readonly order: number;
  readonly explanation: string;
  readonly phase: PackPhase;
  readonly color: string;
  readonly icon: string;
  readonly label: string;
  readonly condition: string;
  readonly reason: string;
  readonly message: string;
  readonly progress: PackProgress;
  readonly startTime?: string;
  readonly endTime?: string;
  readonly stale: boolean;
  readonly resources: readonly ResourceView[];
}

export interface AttachmentView {
  readonly cluster: string;
  readonly profile: string;
  readonly version: string;
  readonly values: Readonly<Record<string, string>>;
  readonly sensitive?: readonly string[];
  readonly createdAt?: string;
  readonly updatedAt?: string;
  readonly updateAvailable?: string;
}

export interface ClusterPage {
  readonly cluster: ClusterView;
  readonly attachments: readonly AttachmentView[];
  readonly packs: readonly PackView[];
}

export interface PackTransition {
  readonly time: string;
  readonly from: PackPhase;
  readonly to: PackPhase;
  readonly condition: string;
  readonly reason: string;
  readonly message: string;
}

export interface PackDiff {
  readonly pack: string;
  readonly profile: string;
  readonly change: 'added' | 'removed' | 'changed' | 'unchanged';
}

export interface ProfileSummary {
  readonly name: string;
  readonly type: string;
  readonly latest: string;
  readonly versions: number;
}

export interface ProfileVersion {
  readonly name: string;
  readonly version: string;
  readonly type: string;
  readonly published: boolean;
  readonly createdAt: string;
  readonly packs: number;
  readonly description?: string;
}

export interface ProfileWithSource extends ProfileVersion {
  readonly yaml: string;
}

export interface ProfileIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
  readonly formatted?: string;
}

export interface ValidationResult {
  readonly valid: boolean;
  readonly issues: readonly ProfileIssue[];
}

export interface Problem {
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly requiredRole?: string;
  readonly issues?: readonly ProfileIssue[];
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
  readonly condition: string;
  readonly reason: string;
  readonly message: string;
  readonly progress: PackProgress;
  readonly startTime?: string;
  readonly endTime?: string;
  readonly seq?: number;
  readonly resources: readonly {
    readonly ref: ObjectRef;
    readonly evaluation: { readonly state: string; readonly reason: string; readonly message: string };
  }[];
}
