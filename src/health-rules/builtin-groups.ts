/**
 * API groups served by Kubernetes itself. Health rules are for custom resources only: a profile's rule for
 * one of these groups is refused at load, and src/status judges their kinds without a rule of their own by
 * existence. Their conditions are about behaviour, not readiness (HPA AbleToScale, PDB DisruptionAllowed),
 * so they must not fall to the custom-resource rule, which would wait forever for a Ready condition they
 * never get.
 */
const builtinGroups: ReadonlySet<string> = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
]);

/** Whether an API group is served by Kubernetes itself (health rules are for custom resources only). */
export function isBuiltinGroup(group: string): boolean {
  return builtinGroups.has(group);
}
