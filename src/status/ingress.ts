import type { V1Ingress } from '@kubernetes/client-node';
import { progressing, ready } from './evaluation.js';
import { refOf } from '../shared/refs.js';
import type { ResourceEvaluation } from './resource-state.js';

/**
 * Ingress: Ready once an ingress controller has published an address in status.loadBalancer.ingress.
 * Without a controller for its class it never gets one; the message says so, and the pack timeout decides.
 *
 * Ports: Argo CD getNetworkingv1IngressHealth https://github.com/argoproj/gitops-engine/blob/master/pkg/health/health_ingress.go
 */
export function evaluateIngress(ingress: V1Ingress): ResourceEvaluation {
  const ref = refOf(ingress, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' });
  const addresses = (ingress.status?.loadBalancer?.ingress ?? [])
    .map((i) => i.ip ?? i.hostname)
    .filter((a): a is string => a !== undefined && a !== '');
  if (addresses.length === 0) {
    const cls = ingress.spec?.ingressClassName;
    const by = cls ? `the "${cls}" ingress controller` : 'an ingress controller';
    return progressing(ref, 'NoAddress', `waiting for ${by} to assign an address`);
  }
  return ready(ref, 'AddressAssigned', `address ${addresses.join(', ')}`);
}
