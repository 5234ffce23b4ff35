import type { V1APIService } from '@kubernetes/client-node';
import { describeCondition, findCondition } from './conditions.js';
import { progressing, ready } from './evaluation.js';
import { refOf } from '../shared/refs.js';
import type { ResourceEvaluation } from './resource-state.js';

/**
 * APIService: Available=True → Ready. Available=False (MissingEndpoints, FailedDiscoveryCheck, ServiceNotFound)
 * → Progressing with the aggregator's reason and message: the backing Deployment is usually still starting,
 * and when it never does, its own Failed state (in the same pack) names the real cause.
 *
 * Ports Argo CD getApiregistrationv1APIServiceHealth
 *   https://github.com/argoproj/gitops-engine/blob/master/pkg/health/health_apiservice.go
 */
export function evaluateAPIService(apiService: V1APIService): ResourceEvaluation {
  const ref = refOf(apiService, { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService' });
  const available = findCondition(apiService.status?.conditions, 'Available');
  if (available?.status === 'True') return ready(ref, 'Available', 'available');
  if (available === undefined)
    return progressing(ref, 'NotYetAvailable', 'waiting for the aggregator to check it');
  return progressing(ref, available.reason ?? 'NotAvailable', describeCondition(available));
}
