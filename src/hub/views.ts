import type {
  ObjectRef,
  PackConditionType,
  PackPhase,
  PackProgress,
  PackStatus,
  PhaseColor,
  ResourceState,
} from '../status/index.js';
import { packPhaseDisplay, worstPhase } from '../status/index.js';
import type { DesiredPack } from '../engine/index.js';

export type PhaseCounts = Record<PackPhase, number>;

export interface ClusterView {
  readonly name: string;
  readonly server: string;
  readonly context: string;
  readonly driftPolicy: 'correct' | 'report';
  readonly createdAt: string;
  readonly reachable: boolean;
  readonly error?: string;
  /** The worst pack phase (failed > processing > onboarding > success); success when there are no packs. */
  readonly phase: PackPhase;
  readonly counts: PhaseCounts;
  readonly packs: number;
}

export interface ResourceView {
  readonly ref: ObjectRef;
  readonly state: ResourceState;
  readonly reason: string;
  readonly message: string;
}

/** One pack on the Cluster Profile page: where it sits, its colour and why. */
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
  readonly color: PhaseColor;
  readonly icon: string;
  readonly label: string;
  readonly condition: PackConditionType;
  readonly reason: string;
  readonly message: string;
  readonly progress: PackProgress;
  readonly startTime?: string;
  readonly endTime?: string;
  /** The last known status while the cluster is unreachable. */
  readonly stale: boolean;
  readonly resources: readonly ResourceView[];
}

export function emptyCounts(): PhaseCounts {
  return { onboarding: 0, processing: 0, success: 0, failed: 0 };
}

export function countPhases(phases: Iterable<PackPhase>): {
  phase: PackPhase;
  counts: PhaseCounts;
  packs: number;
} {
  const counts = emptyCounts();
  const all: PackPhase[] = [];
  for (const phase of phases) {
    counts[phase]++;
    all.push(phase);
  }
  return { phase: all.length === 0 ? 'success' : worstPhase(all), counts, packs: all.length };
}

export function packView(desired: DesiredPack, status: PackStatus, stale: boolean): PackView {
  const display = packPhaseDisplay[status.phase];
  return {
    name: desired.pack.name,
    profile: desired.profile.name,
    layer: desired.pack.layer,
    version: desired.pack.version,
    type: desired.pack.type,
    wave: desired.wave,
    order: desired.order,
    explanation: desired.explanation,
    phase: status.phase,
    color: display.color,
    icon: display.icon,
    label: display.label,
    condition: status.condition,
    reason: status.reason,
    message: desired.redactor.redact(status.message),
    progress: status.progress,
    ...(status.startTime ? { startTime: status.startTime } : {}),
    ...(status.endTime ? { endTime: status.endTime } : {}),
    stale,
    resources: status.resources.map((r) => ({
      ref: r.ref,
      state: r.evaluation.state,
      reason: r.evaluation.reason,
      message: desired.redactor.redact(r.evaluation.message),
    })),
  };
}
