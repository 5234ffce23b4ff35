import type { KubernetesObject } from '@kubernetes/client-node';
import { evaluation } from './evaluation.js';
import { evaluateGeneric, unknownStatus } from './generic.js';
import type { ObjectRef } from '../shared/refs.js';
import { ResourceState, type ResourceEvaluation } from './resource-state.js';
import { evaluateWithRule } from './rules/evaluate-rule.js';
import type { HealthRules } from './rules/rule-set.js';

/** The default wait for a controller's first status on a custom resource (issue 14). */
export const DEFAULT_STATUS_GRACE_MS = 30_000;
export const AWAITING_STATUS_REASON = 'AwaitingControllerStatus';
export const NO_STATUS_REASON = 'NoStatusReported';
export const NO_STATUS_NOTE = 'no status reported by its controller';

/** What the engine knows beyond the object: its CRD's shape and the clock (status code reads no clock). */
export interface CustomResourceInfo {
  /** The CRD declares a `status` subresource, so a controller is expected to write one. */
  readonly statusSubresource: boolean;
  /** Now, in ms since the epoch. */
  readonly now: number;
  /** The pack's grace period; a rule's `graceSeconds` wins. Default 30 s. */
  readonly graceMs?: number;
}

/**
 * A custom resource: never green before its controller could have looked at it (pack-status.md).
 *
 * While its CRD declares a status subresource, it has no status yet and its grace period (from creation)
 * has not passed → Progressing `AwaitingControllerStatus`. Otherwise its health rule decides (pack >
 * cluster > library), else the generic conditions rule; with no status at all after the grace period the
 * generic rule's Ready carries the note "no status reported by its controller". A status behind the
 * generation is Progressing in both rules.
 */
export function customResourceVerdict(
  ref: ObjectRef,
  obj: KubernetesObject,
  options: { rules: HealthRules; info?: CustomResourceInfo },
): ResourceEvaluation {
  const rule = options.rules.find(ref, obj);
  const info = options.info;
  const noStatus = isEmptyStatus(obj);
  if (info?.statusSubresource === true && noStatus) {
    const graceMs = rule?.graceMs ?? info.graceMs ?? DEFAULT_STATUS_GRACE_MS;
    const end = graceEnd(obj, graceMs);
    if (end === undefined || info.now < end) {
      return evaluation(
        ResourceState.Progressing,
        ref,
        AWAITING_STATUS_REASON,
        'waiting for its controller to report status',
      );
    }
  }
  if (rule) return evaluateWithRule(rule, ref, obj);
  if (info?.statusSubresource === true && noStatus) {
    return evaluation(ResourceState.Ready, ref, NO_STATUS_REASON, `exists; ${NO_STATUS_NOTE}`);
  }
  return evaluateGeneric(ref, obj);
}

/**
 * When the grace period of an object without status ends (ms since the epoch), so the engine can look again
 * then; undefined when the object is not waiting for one.
 */
export function statusGraceEnd(
  obj: KubernetesObject,
  options: { rules: HealthRules; info: CustomResourceInfo; ref: ObjectRef },
): number | undefined {
  if (!options.info.statusSubresource || !isEmptyStatus(obj)) return undefined;
  const rule = options.rules.find(options.ref, obj);
  return graceEnd(obj, rule?.graceMs ?? options.info.graceMs ?? DEFAULT_STATUS_GRACE_MS);
}

function isEmptyStatus(obj: KubernetesObject): boolean {
  const status = unknownStatus(obj);
  return status === undefined || Object.keys(status).length === 0;
}

function graceEnd(obj: KubernetesObject, graceMs: number): number | undefined {
  const created = obj.metadata?.creationTimestamp;
  if (created === undefined) return undefined;
  const ms = new Date(created).getTime();
  return Number.isNaN(ms) ? undefined : ms + graceMs;
}
