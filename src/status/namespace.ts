import type { V1Namespace } from '@kubernetes/client-node';
import { describeCondition } from './conditions.js';
import { evaluation, progressing, ready } from './evaluation.js';
import { refOf } from '../shared/refs.js';
import { ResourceState, type ResourceEvaluation } from './resource-state.js';

/**
 * Namespace: phase Active → Ready; phase Terminating → Terminating, naming what still blocks deletion
 * (the namespace controller reports it as conditions such as NamespaceContentRemaining or
 * NamespaceFinalizersRemaining). https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
 */
export function evaluateNamespace(ns: V1Namespace): ResourceEvaluation {
  const ref = refOf(ns, { apiVersion: 'v1', kind: 'Namespace' });
  const phase = ns.status?.phase;
  if (phase === 'Terminating' || ns.metadata?.deletionTimestamp) {
    const blocking = (ns.status?.conditions ?? []).filter((c) => c.status === 'True').map(describeCondition);
    const detail = blocking.length > 0 ? `being deleted: ${blocking.join('; ')}` : 'being deleted';
    return evaluation(ResourceState.Terminating, ref, 'Terminating', detail);
  }
  if (phase === 'Active') return ready(ref, 'Active', 'active');
  return progressing(ref, 'NotActive', phase === undefined ? 'phase not yet reported' : `phase ${phase}`);
}
