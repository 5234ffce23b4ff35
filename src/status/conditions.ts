/**
 * The shape every Kubernetes condition shares (metav1.Condition and the older per-kind condition types).
 * Rules only read these fields, so one helper serves Deployment, Job, CRD, APIService and custom resources.
 */
export interface ConditionLike {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly observedGeneration?: number;
}

export function findCondition(
  conditions: readonly ConditionLike[] | undefined,
  type: string,
): ConditionLike | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly ConditionLike[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** `Reason: message`, or whichever of the two is set, for quoting a condition in a message. */
export function describeCondition(c: ConditionLike): string {
  if (c.reason && c.message) return `${c.reason}: ${c.message}`;
  return c.message ?? c.reason ?? `${c.type}=${c.status}`;
}

/**
 * The condition if it describes the current spec: a metav1.Condition carries the generation it was written
 * for, and one written for an older generation says nothing about the current spec (undefined). Conditions
 * without an observedGeneration, or objects without a generation, are taken as current.
 */
export function currentCondition(
  c: ConditionLike | undefined,
  generation: number | undefined,
): ConditionLike | undefined {
  if (c === undefined) return undefined;
  if (generation !== undefined && c.observedGeneration !== undefined && c.observedGeneration < generation) {
    return undefined;
  }
  return c;
}
