import type { KubernetesObject } from '@kubernetes/client-node';
import { currentCondition, describeCondition, findCondition, type ConditionLike } from './conditions.js';
import { failed, progressing, ready } from './evaluation.js';
import { generationBehind } from './generation.js';
import type { ObjectRef } from '../shared/refs.js';
import type { ResourceEvaluation } from './resource-state.js';
import { isRecord } from '../shared/guards.js';

/** `status` of an object whose type we do not know, if it is an object. */
export function unknownStatus(obj: KubernetesObject): Record<string, unknown> | undefined {
  const status: unknown = (obj as { status?: unknown }).status;
  return isRecord(status) ? status : undefined;
}

/** `status.conditions`, keeping only entries that have the shape of a condition. */
export function unknownConditions(status: Record<string, unknown> | undefined): readonly ConditionLike[] {
  return parseConditions(status?.['conditions']);
}

/** A `conditions` list of unknown type (top-level, or per route parent / listener), keeping well-formed entries. */
export function parseConditions(raw: unknown): readonly ConditionLike[] {
  if (!Array.isArray(raw)) return [];
  const out: ConditionLike[] = [];
  for (const c of raw as unknown[]) {
    if (!isRecord(c) || typeof c['type'] !== 'string' || typeof c['status'] !== 'string') continue;
    const reason = typeof c['reason'] === 'string' ? c['reason'] : undefined;
    const message = typeof c['message'] === 'string' ? c['message'] : undefined;
    const og = typeof c['observedGeneration'] === 'number' ? c['observedGeneration'] : undefined;
    out.push({
      type: c['type'],
      status: c['status'],
      ...(reason === undefined ? {} : { reason }),
      ...(message === undefined ? {} : { message }),
      ...(og === undefined ? {} : { observedGeneration: og }),
    });
  }
  return out;
}

/**
 * Reasons of a `Ready=False` condition that say the controller has given up, as opposed to "still working"
 * (`Progressing`, `Pending`, `Reconciling`, `DependencyNotReady`). Controllers do not share a vocabulary, so
 * this is a list of the common exact words plus the suffixes they build error reasons from: Flux
 * (`InstallFailed`, `UpgradeFailed`, `RetriesExceeded`, `ArtifactFailed`), cert-manager (`Failed`),
 * Crossplane (`ReconcileError`), Cluster API (`…Failed`), and the `Err…`/`…Error`/`…BackOff` convention
 * Argo CD applies to container reasons (https://github.com/argoproj/gitops-engine/blob/master/pkg/health/health_pod.go).
 * kstatus has no such rule: it reports `Ready=False` as InProgress forever.
 */
export function isTerminalErrorReason(reason: string | undefined): boolean {
  if (reason === undefined || reason === '') return false;
  if (terminalReasons.has(reason)) return true;
  return (
    /(Failed|Failure|Error|Exceeded|BackOff|Invalid)$/.test(reason) ||
    /^(Err|Invalid|Failed)[A-Z]/.test(reason)
  );
}

const terminalReasons: ReadonlySet<string> = new Set([
  'Failed',
  'Failure',
  'Error',
  'Invalid',
  'InvalidSpec',
  'InvalidConfiguration',
  'RetriesExceeded',
  'BackoffLimitExceeded',
  'DeadlineExceeded',
  'ProgressDeadlineExceeded',
]);

/**
 * Any object no specific rule covers, typically a custom resource (pack-status.md):
 * observedGeneration behind → Progressing; Stalled=True → Failed; Reconciling=True → Progressing;
 * Ready/Available=True → Ready; Ready=False with a terminal-error reason → Failed; any other conditions →
 * Progressing; no status or no conditions → Ready once it exists (ConfigMap, Secret, RBAC, …).
 * Conditions carrying their own observedGeneration (metav1.Condition) count only when it is current.
 *
 * Ports kstatus checkGenericProperties (generation, Stalled, Reconciling)
 *   https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/status/generic.go
 * and the Ready-condition convention of kstatus' README
 *   https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/README.md
 * Stricter than kstatus, which reports a terminal `Ready=False` as InProgress and any other conditions as Current.
 */
export function evaluateGeneric(ref: ObjectRef, obj: KubernetesObject): ResourceEvaluation {
  const status = unknownStatus(obj);
  const og = status?.['observedGeneration'];
  const behind = generationBehind(ref, obj, typeof og === 'number' ? og : undefined, {
    requireObserved: false,
  });
  if (behind) return behind;

  const conditions = unknownConditions(status);
  if (conditions.length === 0) {
    return ready(ref, 'Exists', status === undefined ? 'exists' : 'exists (no conditions reported)');
  }
  const generation = obj.metadata?.generation;
  const get = (type: string) => currentCondition(findCondition(conditions, type), generation);

  const stalled = get('Stalled');
  if (stalled?.status === 'True') return failed(ref, stalled.reason ?? 'Stalled', describeCondition(stalled));

  const reconciling = get('Reconciling');
  if (reconciling?.status === 'True') {
    return progressing(ref, reconciling.reason ?? 'Reconciling', describeCondition(reconciling));
  }

  const readyCondition = get('Ready');
  const available = get('Available');
  if (readyCondition?.status === 'True')
    return ready(ref, readyCondition.reason ?? 'Ready', describeCondition(readyCondition));
  if (readyCondition === undefined && available?.status === 'True') {
    return ready(ref, available.reason ?? 'Available', describeCondition(available));
  }

  for (const c of [readyCondition, available]) {
    if (c?.status === 'False' && isTerminalErrorReason(c.reason)) {
      return failed(ref, c.reason ?? c.type, describeCondition(c));
    }
  }

  const shown = readyCondition ?? available;
  if (shown) return progressing(ref, shown.reason ?? `Not${shown.type}`, describeCondition(shown));
  const stale = findCondition(conditions, 'Ready') ?? findCondition(conditions, 'Available');
  if (stale)
    return progressing(
      ref,
      'StaleConditions',
      `${stale.type} condition not yet updated for the latest generation`,
    );
  return progressing(
    ref,
    'NotReady',
    `no Ready or Available condition yet (has ${conditions.map((c) => c.type).join(', ')})`,
  );
}

/**
 * Built-in kinds without a rule of their own (HorizontalPodAutoscaler, PodDisruptionBudget, CronJob,
 * NetworkPolicy, …): their conditions, if any, describe behaviour (AbleToScale, DisruptionAllowed), not
 * readiness, so they are Ready once they exist and their controller has seen the latest generation
 * (kstatus' alwaysReady for PDB, CronJob, ConfigMap, Secret).
 */
export function evaluateBuiltinExists(ref: ObjectRef, obj: KubernetesObject): ResourceEvaluation {
  const og = unknownStatus(obj)?.['observedGeneration'];
  const behind = generationBehind(ref, obj, typeof og === 'number' ? og : undefined, {
    requireObserved: false,
  });
  return behind ?? ready(ref, 'Exists', 'exists');
}
