import type { ObjectRef } from '../shared/refs.js';

/**
 * The state of one live object a pack owns (pack-status.md, "Resource states").
 * Ported from kstatus' Status (Current/InProgress/Failed/Terminating/NotFound):
 * https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/status/status.go
 */
export const ResourceState = {
  Ready: 'Ready',
  Progressing: 'Progressing',
  Failed: 'Failed',
  Missing: 'Missing',
  Terminating: 'Terminating',
} as const;
export type ResourceState = (typeof ResourceState)[keyof typeof ResourceState];

/**
 * What a rule says about one object. `reason` is a short CamelCase token (`ImagePullBackOff`,
 * `ProgressDeadlineExceeded`, `Available`); `message` is a sentence that starts with the object it is about
 * (`Deployment monitoring/grafana: 1/3 available`), so a pack message can quote it as is.
 * `cause` names a different object when that one is the real culprit (the Pod behind a Deployment).
 */
export interface ResourceEvaluation {
  readonly state: ResourceState;
  readonly reason: string;
  readonly message: string;
  readonly cause?: ObjectRef;
}

/**
 * How bad a state is, for picking the resource a pack message names: a Failed resource is named before a
 * Missing one, Missing before Terminating, Terminating before Progressing. A Record so that a new state does
 * not compile until it is ranked.
 */
export const resourceStateSeverity: Record<ResourceState, number> = {
  Failed: 4,
  Missing: 3,
  Terminating: 2,
  Progressing: 1,
  Ready: 0,
};

export function sameEvaluation(a: ResourceEvaluation, b: ResourceEvaluation): boolean {
  return (
    a.state === b.state &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.cause?.apiVersion === b.cause?.apiVersion &&
    a.cause?.kind === b.cause?.kind &&
    a.cause?.namespace === b.cause?.namespace &&
    a.cause?.name === b.cause?.name
  );
}
