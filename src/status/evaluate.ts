import type { KubernetesObject, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { evaluateAPIService } from './apiservice.js';
import { evaluateCustomResourceDefinition } from './crd.js';
import { evaluateDaemonSet } from './daemonset.js';
import { evaluateDeployment } from './deployment.js';
import { evaluation } from './evaluation.js';
import {
  evaluateBackendTLSPolicy,
  evaluateGateway,
  evaluateGatewayClass,
  evaluateGatewayRoute,
  GATEWAY_API_GROUP,
  gatewayRouteKinds,
} from './gateway-api.js';
import { evaluateBuiltinExists } from './generic.js';
import { evaluateIngress } from './ingress.js';
import { evaluateJob } from './job.js';
import { evaluateNamespace } from './namespace.js';
import { apiGroup, type ObjectRef } from '../shared/refs.js';
import { evaluatePod } from './pod.js';
import { evaluatePersistentVolumeClaim } from './pvc.js';
import { noRelatedObjects, type RelatedObjects } from './related.js';
import { evaluateReplicaSet } from './replicaset.js';
import { ResourceState, type ResourceEvaluation } from './resource-state.js';
import { withRootCause } from './root-cause.js';
import { customResourceVerdict, type CustomResourceInfo } from './custom-resource.js';
import { isIgnored, ignoredEvaluation } from './ignore.js';
import { isBuiltinGroup } from '../health-rules/builtin-groups.js';
import { libraryOnly, type HealthRules } from './rules/rule-set.js';
import { evaluateService } from './service.js';
import { evaluateStatefulSet } from './statefulset.js';

type Rule = (obj: KubernetesObject, related: RelatedObjects) => ResourceEvaluation;

// Every field of the client's object types is optional, so a KubernetesObject is accepted by each rule; the
// table is what makes sure an object only reaches the rule of its own group and kind.
/** Rules by `group/Kind` (core group: empty). Any version of the group is accepted. */
const rules: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['apps/Deployment', (o, r) => evaluateDeployment(o, r)],
  ['apps/StatefulSet', (o, r) => evaluateStatefulSet(o, r)],
  ['apps/DaemonSet', (o, r) => evaluateDaemonSet(o, r)],
  ['apps/ReplicaSet', (o, r) => evaluateReplicaSet(o, r)],
  ['batch/Job', (o, r) => evaluateJob(o, r)],
  ['/Pod', (o) => evaluatePod(o)],
  ['/PersistentVolumeClaim', (o) => evaluatePersistentVolumeClaim(o)],
  ['/Service', (o) => evaluateService(o)],
  ['/Namespace', (o) => evaluateNamespace(o)],
  ['networking.k8s.io/Ingress', (o) => evaluateIngress(o)],
  [
    'apiextensions.k8s.io/CustomResourceDefinition',
    (o) => evaluateCustomResourceDefinition(o as V1CustomResourceDefinition),
  ],
  ['apiregistration.k8s.io/APIService', (o) => evaluateAPIService(o)],
  // Gateway API never sets Ready (reserved), so the generic rule would wait for it until the pack's timeout.
  [`${GATEWAY_API_GROUP}/Gateway`, (o) => evaluateGateway(o)],
  [`${GATEWAY_API_GROUP}/GatewayClass`, (o) => evaluateGatewayClass(o)],
  ...gatewayRouteKinds.map((kind): [string, Rule] => [
    `${GATEWAY_API_GROUP}/${kind}`,
    (o) => evaluateGatewayRoute(o, kind),
  ]),
  [`${GATEWAY_API_GROUP}/BackendTLSPolicy`, (o) => evaluateBackendTLSPolicy(o)],
]);

/** Whether a kind has a rule of its own (as opposed to the generic or exists-only rule). */
export function hasSpecificRule(ref: Pick<ObjectRef, 'apiVersion' | 'kind'>): boolean {
  return rules.has(`${apiGroup(ref.apiVersion)}/${ref.kind}`);
}

export interface EvaluateOptions {
  /** Objects related by ownership, for workload rules. Default: none (pod causes are then not reported). */
  readonly related?: RelatedObjects;
  /** Health rules for custom resources (pack > cluster > library). Default: the built-in library. */
  readonly healthRules?: HealthRules;
  /**
   * What the engine knows of a custom resource's kind and the clock, for the no-status grace period
   * (custom-resource.ts). Without it a custom resource with no status is judged as it is.
   */
  readonly customResource?: CustomResourceInfo;
}

/**
 * The state of one expected object. `live` is the object as last seen by the watch, or undefined when it is
 * not there. This is the function the engine calls on every watch event of an owned object.
 *
 * - absent → Missing (expected but not found; during install that just means "not yet seen").
 * - metadata.deletionTimestamp set → Terminating, naming pending finalizers (kstatus checkGenericProperties:
 *   https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/status/generic.go).
 * - annotated `strata.dev/health: ignore` → Ready `HealthIgnored` (left out of the pack's colour).
 * - otherwise the rule for its `group/Kind`, else the built-in exists rule, else (a custom resource) its
 *   health rule or the generic conditions rule (custom-resource.ts); a Progressing result then gets the
 *   most specific cause beyond its own status (root-cause.ts).
 */
export function evaluateResource(
  ref: ObjectRef,
  live: KubernetesObject | undefined,
  options: EvaluateOptions = {},
): ResourceEvaluation {
  if (live === undefined) return evaluation(ResourceState.Missing, ref, 'NotFound', 'not found');
  if (isIgnored(live)) return ignoredEvaluation(ref);
  const group = apiGroup(ref.apiVersion);
  // A Namespace's own rule explains what still blocks its deletion (remaining content, finalizers).
  if (group === '' && ref.kind === 'Namespace') return evaluateNamespace(live);
  if (live.metadata?.deletionTimestamp) {
    const finalizers = live.metadata.finalizers ?? [];
    const detail =
      finalizers.length > 0
        ? `being deleted; waiting for finalizers: ${finalizers.join(', ')}`
        : 'being deleted';
    return evaluation(ResourceState.Terminating, ref, 'Terminating', detail);
  }
  const rule = rules.get(`${group}/${ref.kind}`);
  const related = options.related ?? noRelatedObjects;
  const result = rule
    ? rule(live, related)
    : isBuiltinGroup(group)
      ? evaluateBuiltinExists(ref, live)
      : customResourceVerdict(ref, live, {
          rules: options.healthRules ?? libraryOnly,
          ...(options.customResource === undefined ? {} : { info: options.customResource }),
        });
  return withRootCause(ref, live, result, related);
}
