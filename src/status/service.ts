import type { V1Service } from '@kubernetes/client-node';
import { progressing, ready } from './evaluation.js';
import { refOf } from '../shared/refs.js';
import type { ResourceEvaluation } from './resource-state.js';

/**
 * Service: type LoadBalancer is Ready once the load balancer reports an ingress address (IP or hostname);
 * every other type is Ready when it exists (the API server assigns the cluster IP synchronously).
 * Unlike Helm, `spec.externalIPs` do not stand in for the load balancer: a LoadBalancer Service without an
 * address is not reachable the way its author asked for.
 *
 * Ports: Argo CD getCorev1ServiceHealth https://github.com/argoproj/gitops-engine/blob/master/pkg/health/health_service.go
 * Helm serviceReady https://github.com/helm/helm/blob/main/pkg/kube/ready.go
 * (kstatus serviceConditions only waits for the cluster IP.)
 */
export function evaluateService(svc: V1Service): ResourceEvaluation {
  const ref = refOf(svc, { apiVersion: 'v1', kind: 'Service' });
  const type = svc.spec?.type ?? 'ClusterIP';
  if (type !== 'LoadBalancer') return ready(ref, 'Exists', `${type} service exists`);
  const addresses = (svc.status?.loadBalancer?.ingress ?? [])
    .map((i) => i.ip ?? i.hostname)
    .filter((a): a is string => a !== undefined && a !== '');
  if (addresses.length === 0) {
    return progressing(ref, 'NoLoadBalancerAddress', 'waiting for the load balancer to assign an address');
  }
  return ready(ref, 'LoadBalancerReady', `load balancer at ${addresses.join(', ')}`);
}
