import { formatRef, type ObjectRef } from '../shared/refs.js';
import { ResourceState, type ResourceEvaluation } from './resource-state.js';

/** Builds an evaluation whose message starts with the object (`Deployment monitoring/grafana: 1/3 available`). */
export function evaluation(
  state: ResourceState,
  ref: ObjectRef,
  reason: string,
  detail: string,
): ResourceEvaluation {
  // Joined into one flat string: a concatenation stays a tree of parts in V8 (~2 x the size), and the message
  // of every watched object's evaluation is kept in its pack's status (issue 15).
  return { state, reason, message: [formatRef(ref), detail].join(': ') };
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
