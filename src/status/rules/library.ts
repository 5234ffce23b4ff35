import type { KubernetesObject } from '@kubernetes/client-node';
import { unknownConditions, unknownStatus } from '../generic.js';
import {
  compileHealthRule,
  formatRuleIssue,
  HealthRuleOrigin,
  type CompiledHealthRule,
  type HealthRuleSpec,
} from '../../health-rules/health-rule.js';

/**
 * Built-in health rules for widely used operators, written in the same CEL users write (so `strata health
 * test` can show and try them). Facts come from each project's API docs and from the upstream rules named
 * beside them (Argo CD `resource_customizations/<group>/<Kind>/health.lua`, the Flux CEL cheatsheet
 * https://fluxcd.io/flux/cheatsheets/cel-healthchecks/); fixtures for each are in `library.fixtures.ts`.
 *
 * `exists(…)` rather than Flux's `filter(…).all(…)`: `all` holds on an empty list, so a Flux rule calls an
 * object without that condition both current and failed.
 */

/**
 * A condition of `type` passing `test`, if it was written for the current spec: a metav1.Condition carries
 * the generation it describes (the Flux cheatsheet's Certificate rule compares it the same way).
 */
const condition = (type: string, test: string) =>
  `status.conditions.exists(c, c.type == '${type}' && ${test} && ${fresh})`;
const fresh = `(!has(c.observedGeneration) || !has(metadata.generation) || c.observedGeneration >= metadata.generation)`;
const isTrue = (type: string) => condition(type, `c.status == 'True'`);
const isFalse = (type: string) => condition(type, `c.status == 'False'`);
/** The message of a condition in the given state; an error (none such) leaves the default message. */
const messageOf = (type: string, status: string) =>
  `status.conditions.filter(c, c.type == '${type}' && c.status == '${status}' && has(c.message)).map(c, c.message)[0]`;

/** Ready=True / Ready=False: cert-manager issuers, KEDA, Knative, external-secrets (Argo CD and Flux agree). */
const readyCondition = (apiVersion: string, kind: string): HealthRuleSpec => ({
  apiVersion,
  kind,
  current: isTrue('Ready'),
  failed: isFalse('Ready'),
});

/**
 * Flux's own kinds follow kstatus: Reconciling=True while working, Stalled=True when it gave up, Ready=False
 * on a failed attempt. https://fluxcd.io/flux/components/helm/helmreleases/#conditions
 */
const fluxKind = (apiVersion: string, kind: string): HealthRuleSpec => ({
  apiVersion,
  kind,
  inProgress: isTrue('Reconciling'),
  failed: `${isTrue('Stalled')} || ${isFalse('Ready')}`,
  current: isTrue('Ready'),
});

/** Cluster API: a terminal failure is `failureReason`/`failureMessage` (v1beta1) or phase Failed. */
const clusterApiKind = (kind: string): HealthRuleSpec => ({
  apiVersion: 'cluster.x-k8s.io/v1beta1',
  kind,
  failed: `has(status.failureReason) || has(status.failureMessage) || status.phase == 'Failed'`,
  current: `${isTrue('Ready')} || ${isTrue('Available')}`,
  message: `has(status.failureMessage) ? status.failureMessage : ${messageOf('Ready', 'False')}`,
});

/** Prometheus Operator: Available (may be True, False or Degraded) and Reconciled (config accepted). */
const prometheusWorkload = (kind: string): HealthRuleSpec => ({
  apiVersion: 'monitoring.coreos.com/v1',
  kind,
  failed: isFalse('Reconciled'),
  current: `${isTrue('Available')} && ${isTrue('Reconciled')}`,
  message: `${isFalse('Reconciled')} ? ${messageOf('Reconciled', 'False')} : ${messageOf('Available', 'False')}`,
});

/** Kinds the operator only reads: ready once they exist (the issue's "ServiceMonitor = exists"). */
const exists = (apiVersion: string, kind: string): HealthRuleSpec => ({
  apiVersion,
  kind,
  current: 'true',
});

export const librarySpecs: readonly HealthRuleSpec[] = [
  // cert-manager: https://cert-manager.io/docs/reference/api-docs/ ; Argo CD cert-manager.io/Certificate.
  // A Certificate is Issuing=True while a request is out, Issuing=False/Failed when issuance failed; its
  // Ready=False alone (DoesNotExist) is the normal first state, so it is not a failure.
  {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    inProgress: isTrue('Issuing'),
    failed: condition('Issuing', `c.status == 'False' && c.reason == 'Failed'`),
    current: isTrue('Ready'),
    message: `${condition('Issuing', `c.status == 'False' && c.reason == 'Failed'`)} ? ${messageOf('Issuing', 'False')} : ${messageOf('Issuing', 'True')}`,
  },
  // A request is Ready=False/Pending while the issuer works; Failed, Denied and InvalidRequest are final.
  {
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    failed: `${condition('Ready', `c.status == 'False' && (c.reason == 'Failed' || c.reason == 'Denied')`)} || ${isTrue('InvalidRequest')} || ${isTrue('Denied')}`,
    current: isTrue('Ready'),
  },
  readyCondition('cert-manager.io/v1', 'Issuer'),
  readyCondition('cert-manager.io/v1', 'ClusterIssuer'),
  fluxKind('helm.toolkit.fluxcd.io/v2', 'HelmRelease'),
  fluxKind('kustomize.toolkit.fluxcd.io/v1', 'Kustomization'),
  fluxKind('source.toolkit.fluxcd.io/v1', 'GitRepository'),
  fluxKind('source.toolkit.fluxcd.io/v1beta2', 'OCIRepository'),
  // Argo Rollouts reports its own verdict in status.phase (Healthy, Progressing, Paused, Degraded) with
  // status.message; a paused rollout waits for a person or an analysis, which is progress, not failure.
  // https://argoproj.github.io/argo-rollouts/ ; Argo CD argoproj.io/Rollout/health.lua
  {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    inProgress: `status.phase == 'Progressing' || status.phase == 'Paused'`,
    failed: `status.phase == 'Degraded'`,
    current: `status.phase == 'Healthy'`,
    message: `status.message`,
  },
  clusterApiKind('Cluster'),
  clusterApiKind('Machine'),
  clusterApiKind('MachineDeployment'),
  prometheusWorkload('Prometheus'),
  prometheusWorkload('Alertmanager'),
  exists('monitoring.coreos.com/v1', 'ServiceMonitor'),
  exists('monitoring.coreos.com/v1', 'PodMonitor'),
  exists('monitoring.coreos.com/v1', 'PrometheusRule'),
  // KEDA: https://keda.sh/docs/latest/reference/scaledobject-spec/ (Ready, Active, Fallback conditions).
  readyCondition('keda.sh/v1alpha1', 'ScaledObject'),
  // Knative: Ready=Unknown while reconciling, False on a failure (RevisionFailed, ContainerMissing, …).
  readyCondition('serving.knative.dev/v1', 'Service'),
  // external-secrets: Ready=False/SecretSyncedError when the provider refuses; stores the same.
  readyCondition('external-secrets.io/v1', 'ExternalSecret'),
  readyCondition('external-secrets.io/v1', 'SecretStore'),
  readyCondition('external-secrets.io/v1', 'ClusterSecretStore'),
  // Kyverno sets Ready=False/Failed also while its webhooks are being configured, so Ready=False is not a
  // failure (the pack's timeout bounds it); Kyverno < 1.9 reported a bare `status.ready`.
  ...['ClusterPolicy', 'Policy'].map((kind): HealthRuleSpec => ({
    apiVersion: 'kyverno.io/v1',
    kind,
    current: `${isTrue('Ready')} || (has(status.ready) && status.ready == true)`,
  })),
];

/**
 * Crossplane claims and composite resources have user-defined groups and kinds, so they are recognised by
 * shape: a `Synced` condition. Ready needs Synced=True and Ready=True; Synced=False/ReconcileError is a
 * failure. https://docs.crossplane.io/latest/concepts/managed-resources/#conditions
 */
export const crossplaneSpec: HealthRuleSpec = {
  apiVersion: '*/*',
  kind: '*',
  failed: condition('Synced', `c.status == 'False' && c.reason == 'ReconcileError'`),
  current: `${isTrue('Synced')} && ${isTrue('Ready')}`,
  message: messageOf('Synced', 'False'),
};

function compileLibrary(spec: HealthRuleSpec): CompiledHealthRule {
  const compiled = compileHealthRule(spec, { origin: HealthRuleOrigin.Library });
  if (!compiled.ok) {
    // A defect in this file, caught by library.test.ts.
    throw new Error(`${spec.kind}: ${compiled.issues.map(formatRuleIssue).join('; ')}`);
  }
  return compiled.rule;
}

let compiled: { byKind: ReadonlyMap<string, CompiledHealthRule>; crossplane: CompiledHealthRule } | undefined;

function library() {
  compiled ??= {
    byKind: new Map(librarySpecs.map((s) => [ruleKey(s.apiVersion, s.kind), compileLibrary(s)])),
    crossplane: compileLibrary(crossplaneSpec),
  };
  return compiled;
}

export function ruleKey(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  return `${slash === -1 ? '' : apiVersion.slice(0, slash)}/${kind}`;
}

/** The built-in rule for an object, if any: by group/kind, else Crossplane's by shape. */
export function libraryRule(
  ref: { apiVersion: string; kind: string },
  obj: KubernetesObject,
): CompiledHealthRule | undefined {
  const { byKind, crossplane } = library();
  const rule = byKind.get(ruleKey(ref.apiVersion, ref.kind));
  if (rule) return rule;
  return unknownConditions(unknownStatus(obj)).some((c) => c.type === 'Synced') ? crossplane : undefined;
}

/** Every built-in rule, for `strata health` listings and tests. */
export function libraryRules(): readonly CompiledHealthRule[] {
  const { byKind, crossplane } = library();
  return [...byKind.values(), crossplane];
}
