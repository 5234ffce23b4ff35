// Test support: evaluating a fixture object that carries its own apiVersion and kind.
import type { KubernetesObject } from '@kubernetes/client-node';
import { formatRef, refOf } from '../../shared/refs.js';
import { evaluateResource, type EvaluateOptions } from '../evaluate.js';
import type { ResourceEvaluation } from '../resource-state.js';

/** {@link evaluateResource} for a live object that carries its own apiVersion and kind (e.g. a watch event). */
export function evaluateObject(obj: KubernetesObject, options: EvaluateOptions = {}): ResourceEvaluation {
  const ref = refOf(obj);
  if (ref.kind === '' || ref.apiVersion === '') {
    throw new TypeError(
      `${formatRef(ref)}: object has no apiVersion/kind; use evaluateResource with its ref`,
    );
  }
  return evaluateResource(ref, obj, options);
}
