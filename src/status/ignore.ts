import type { KubernetesObject } from '@kubernetes/client-node';
import { evaluation } from './evaluation.js';
import type { ObjectRef } from '../shared/refs.js';
import { ResourceState, type ResourceEvaluation } from './resource-state.js';

/** A pack marks an object whose health must not colour the pack (a canary, a best-effort extra). */
export const HEALTH_ANNOTATION = 'strata.dev/health';
export const HEALTH_IGNORE = 'ignore';
export const IGNORED_REASON = 'HealthIgnored';

export function isIgnored(obj: KubernetesObject): boolean {
  return obj.metadata?.annotations?.[HEALTH_ANNOTATION] === HEALTH_IGNORE;
}

/**
 * Ready, so it never holds the pack blue or red, with a reason the page shows as "ignored". Argo CD's
 * `argocd.argoproj.io/ignore-healthcheck` does the same for an Application's health.
 */
export function ignoredEvaluation(ref: ObjectRef): ResourceEvaluation {
  return evaluation(
    ResourceState.Ready,
    ref,
    IGNORED_REASON,
    `health ignored (${HEALTH_ANNOTATION}: ${HEALTH_IGNORE})`,
  );
}
