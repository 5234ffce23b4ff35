import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { describeCondition, findCondition } from './conditions.js';
import { failed, progressing, ready } from './evaluation.js';
import { refOf } from '../shared/refs.js';
import type { ResourceEvaluation } from './resource-state.js';

/**
 * CustomResourceDefinition: Established=True → Ready (its resources can be served, so the engine may apply
 * custom resources of this kind). NamesAccepted=False (a plural/kind clash with another CRD) → Failed, as is
 * Established=False for any reason but `Installing`. Otherwise Progressing.
 *
 * Ports kstatus crdConditions https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/status/core.go
 * Stricter than Helm crdReady, which treats NamesAccepted=False as ready "so the process can continue":
 *   https://github.com/helm/helm/blob/main/pkg/kube/ready.go
 */
export function evaluateCustomResourceDefinition(crd: V1CustomResourceDefinition): ResourceEvaluation {
  const ref = refOf(crd, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' });
  const conditions = crd.status?.conditions;

  const names = findCondition(conditions, 'NamesAccepted');
  if (names?.status === 'False')
    return failed(ref, names.reason ?? 'NamesNotAccepted', describeCondition(names));

  const established = findCondition(conditions, 'Established');
  if (established?.status === 'True') return ready(ref, 'Established', 'established');
  if (established?.status === 'False' && established.reason !== 'Installing') {
    return failed(ref, established.reason ?? 'NotEstablished', describeCondition(established));
  }
  return progressing(ref, 'Installing', 'waiting to be established');
}
