/**
 * Strata's status engine: per-resource readiness rules and pack/cluster aggregation (pack-status.md).
 * Pure functions only: no I/O, no clock. The engine feeds in live objects and times.
 */
export {
  ResourceState,
  resourceStateSeverity,
  sameEvaluation,
  type ResourceEvaluation,
} from './resource-state.js';
export { apiGroup, formatRef, refKey, refOf, type ObjectRef } from '../shared/refs.js';
export { evaluateResource, hasSpecificRule, type EvaluateOptions } from './evaluate.js';
export {
  AWAITING_STATUS_REASON,
  DEFAULT_STATUS_GRACE_MS,
  NO_STATUS_NOTE,
  NO_STATUS_REASON,
  statusGraceEnd,
  type CustomResourceInfo,
} from './custom-resource.js';
export { HEALTH_ANNOTATION, HEALTH_IGNORE, IGNORED_REASON, isIgnored } from './ignore.js';
// The CEL health-rule compiler is src/health-rules (profile compiles rules at load with it too); status
// re-exports it because evaluateResource takes its compiled rules, so status's callers need one import.
export {
  compileHealthRule,
  DEFAULT_COST_LIMIT,
  describeRule,
  formatRuleIssue,
  HealthRuleField,
  HealthRuleOrigin,
  isBuiltinGroup,
  MAX_EXPRESSION_LENGTH,
  type CompiledHealthRule,
  type CompileRuleResult,
  type HealthRuleIssue,
  type HealthRuleSpec,
} from '../health-rules/index.js';
export { evaluateWithRule } from './rules/evaluate-rule.js';
export { HealthRules, libraryOnly } from './rules/rule-set.js';
export { libraryRule, libraryRules, librarySpecs } from './rules/library.js';
export {
  indexRelated,
  noRelatedObjects,
  controllerUid,
  ownersAffectedBy,
  type RelatedObjects,
} from './related.js';
export { terminalWaitingReasons, terminalContainerFailure, ownedPodFailure } from './pod-failure.js';
export { evaluateDeployment, currentDeploymentPods, currentDeploymentReplicaSets } from './deployment.js';
export { mostSpecificWarning, describeWarning, withRootCause } from './root-cause.js';
export { evaluateStatefulSet } from './statefulset.js';
export { evaluateDaemonSet } from './daemonset.js';
export { evaluateReplicaSet } from './replicaset.js';
export { evaluateJob } from './job.js';
export { evaluatePod } from './pod.js';
export { evaluatePersistentVolumeClaim } from './pvc.js';
export { evaluateService } from './service.js';
export { evaluateIngress } from './ingress.js';
export { evaluateCustomResourceDefinition } from './crd.js';
export { evaluateAPIService } from './apiservice.js';
export { evaluateNamespace } from './namespace.js';
export { evaluateGeneric, evaluateBuiltinExists, isTerminalErrorReason } from './generic.js';
export {
  evaluateGateway,
  evaluateGatewayClass,
  evaluateGatewayRoute,
  evaluateBackendTLSPolicy,
  GATEWAY_API_GROUP,
  gatewayRouteKinds,
  type GatewayRouteKind,
} from './gateway-api.js';
export {
  PackPhase,
  PackConditionType,
  conditionPhase,
  phaseSeverity,
  packPhaseDisplay,
  type PhaseColor,
  type PhaseDisplay,
} from './pack-phase.js';
export { resourceStateDisplay } from './resource-display.js';
export {
  aggregatePack,
  packProgress,
  worstResource,
  PackOperation,
  type PackAggregationInput,
  type PackDependency,
  type WaitingWave,
  WAITING_LIST_LIMIT,
  type PackProgress,
  type PackResource,
  type PackStage,
  type PackStageType,
  type PackSummary,
  type PackTimeout,
} from './aggregate.js';
export { worstPhase } from './cluster.js';
export {
  AWAITING_NEW_REVISION,
  initialPackStatus,
  reducePackStatus,
  sameStage,
  type InitialPackStatusOptions,
  type PackEvent,
  type PackStatus,
  type PackTransition,
} from './pack-status.js';
export { MAX_RUNS, RunKind, type PackRunTimes } from './revision-runs.js';
