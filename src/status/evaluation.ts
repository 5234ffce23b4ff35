import { formatRef, type ObjectRef } from '../shared/refs.js';
import { ResourceState, type ResourceEvaluation } from './resource-state.js';

/** Builds an evaluation whose message starts with the object (`Deployment monitoring/grafana: 1/3 available`). */
export function evaluation(
  state: ResourceState,
  ref: ObjectRef,
  reason: string,
  detail: string,
): ResourceEvaluation {
  return { state, reason, message: `${formatRef(ref)}: ${detail}` };
}

export const ready = (ref: ObjectRef, reason: string, detail: string) =>
  evaluation(ResourceState.Ready, ref, reason, detail);
export const progressing = (ref: ObjectRef, reason: string, detail: string) =>
  evaluation(ResourceState.Progressing, ref, reason, detail);
export const failed = (ref: ObjectRef, reason: string, detail: string) =>
  evaluation(ResourceState.Failed, ref, reason, detail);

/** `1 replica`, `2 replicas`: messages are read by people. */
export function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
