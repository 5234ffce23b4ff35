import type { KubernetesObject } from '@kubernetes/client-node';
import { currentCondition, describeCondition, findCondition } from '../conditions.js';
import { evaluation } from '../evaluation.js';
import { unknownConditions, unknownStatus } from '../generic.js';
import { generationBehind } from '../generation.js';
import type { ObjectRef } from '../../shared/refs.js';
import { ResourceState, type ResourceEvaluation } from '../resource-state.js';
import { celMeter, CelOutcomeKind, type CelMeter } from '../../health-rules/cel.js';
import {
  describeRule,
  HealthRuleField,
  ruleBindings,
  type CompiledHealthRule,
} from '../../health-rules/health-rule.js';

// A compiled health rule (src/health-rules) turned into a resource's state, with the same generation and
// condition handling as the built-in rules.

/** The order Flux evaluates them in; the first that holds decides. */
const verdicts: readonly { field: HealthRuleField; state: ResourceState; reason: string }[] = [
  { field: HealthRuleField.InProgress, state: ResourceState.Progressing, reason: 'InProgress' },
  { field: HealthRuleField.Failed, state: ResourceState.Failed, reason: 'Failed' },
  { field: HealthRuleField.Current, state: ResourceState.Ready, reason: 'Current' },
];

/**
 * The state of `obj` by `rule`: observedGeneration behind the generation → Progressing (no expression can
 * trust a status written for the previous spec); then `inProgress`, `failed`, `current` in that order, the
 * first that holds deciding; none → Progressing. An expression reading a field the object does not have
 * (no status yet) does not hold, where Flux would report an error until its timeout. An expression that
 * fails otherwise, or is stopped by the cost limit (one meter for all the rule's expressions on one object),
 * leaves the object Progressing with `HealthRuleError` naming the rule, so the pack's timeout turns it red
 * with that cause.
 */
export function evaluateWithRule(
  rule: CompiledHealthRule,
  ref: ObjectRef,
  obj: KubernetesObject,
): ResourceEvaluation {
  const status = unknownStatus(obj);
  const og = status?.['observedGeneration'];
  const behind = generationBehind(ref, obj, typeof og === 'number' ? og : undefined, {
    requireObserved: false,
  });
  if (behind) return behind;

  const bindings = ruleBindings(obj);
  // One meter for all the rule's expressions on this object: its evaluation, not each expression, is bounded.
  const meter = celMeter(rule.costLimit);
  for (const { field, state, reason } of verdicts) {
    const program = rule.programs[field];
    if (program === undefined) continue;
    const outcome = program.evaluate(bindings, meter);
    if (outcome.kind === CelOutcomeKind.Missing) continue;
    if (outcome.kind === CelOutcomeKind.CostExceeded) {
      return evaluation(
        ResourceState.Progressing,
        ref,
        'HealthRuleError',
        `${describeRule(rule)} ${outcome.message}, in its ${field} expression`,
      );
    }
    if (outcome.kind !== CelOutcomeKind.Value) {
      return evaluation(
        ResourceState.Progressing,
        ref,
        'HealthRuleError',
        `${describeRule(rule)}: ${field}: ${outcome.message}`,
      );
    }
    if (outcome.value !== true) continue;
    return evaluation(state, ref, conditionReason(obj) ?? reason, detail(rule, obj, bindings, meter, field));
  }
  return evaluation(
    ResourceState.Progressing,
    ref,
    conditionReason(obj) ?? 'InProgress',
    detail(rule, obj, bindings, meter, undefined),
  );
}

/** The Ready condition's reason, if it describes the current spec; `StaleConditions` if it does not. */
function conditionReason(obj: KubernetesObject): string | undefined {
  const ready = findCondition(unknownConditions(unknownStatus(obj)), 'Ready');
  if (ready === undefined) return undefined;
  if (currentCondition(ready, obj.metadata?.generation) === undefined) return 'StaleConditions';
  return ready.reason !== undefined && ready.reason !== '' ? ready.reason : undefined;
}

/** The rule's `message` if it gives one, else the Ready condition's, else which expression held. */
function detail(
  rule: CompiledHealthRule,
  obj: KubernetesObject,
  bindings: Record<string, unknown>,
  meter: CelMeter,
  held: HealthRuleField | undefined,
): string {
  const message = rule.programs.message?.evaluate(bindings, meter);
  if (message?.kind === CelOutcomeKind.Value && typeof message.value === 'string' && message.value !== '') {
    return message.value;
  }
  const ready = findCondition(unknownConditions(unknownStatus(obj)), 'Ready');
  if (ready && currentCondition(ready, obj.metadata?.generation) === undefined) {
    return 'Ready condition not yet updated for the latest generation';
  }
  if (ready) return describeCondition(ready);
  return held === undefined
    ? `no expression of the ${describeRule(rule)} holds yet`
    : `${held} holds (${describeRule(rule)})`;
}
