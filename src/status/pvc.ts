import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { failed, progressing, ready } from './evaluation.js';
import { refOf } from '../shared/refs.js';
import type { ResourceEvaluation } from './resource-state.js';

/**
 * PersistentVolumeClaim: Bound → Ready; Lost (its volume is gone) → Failed; Pending or not yet reported →
 * Progressing. A claim of a WaitForFirstConsumer storage class stays Pending until a pod uses it; the pod's
 * own status is what moves the pack in that case.
 *
 * Ports: Argo CD getCorev1PVCHealth https://github.com/argoproj/gitops-engine/blob/master/pkg/health/health_pvc.go
 * (kstatus pvcConditions and Helm volumeReady only know Bound / not Bound.)
 */
export function evaluatePersistentVolumeClaim(pvc: V1PersistentVolumeClaim): ResourceEvaluation {
  const ref = refOf(pvc, { apiVersion: 'v1', kind: 'PersistentVolumeClaim' });
  const phase = pvc.status?.phase;
  if (phase === 'Bound') return ready(ref, 'Bound', `bound to volume ${pvc.spec?.volumeName ?? '(unknown)'}`);
  if (phase === 'Lost') {
    return failed(
      ref,
      'ClaimLost',
      `its volume ${pvc.spec?.volumeName ?? ''} no longer exists`.replace('  ', ' '),
    );
  }
  if (phase === 'Pending') return progressing(ref, 'Pending', 'waiting for a volume to be bound');
  return progressing(ref, 'NotBound', phase === undefined ? 'phase not yet reported' : `phase ${phase}`);
}
