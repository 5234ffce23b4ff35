import type { KubernetesObject } from '@kubernetes/client-node';
import { currentCondition, describeCondition, findCondition } from '../conditions.js';
import { evaluation } from '../evaluation.js';
import { unknownConditions, unknownStatus } from '../generic.js';
import { generationBehind } from '../generation.js';
import { apiGroup, type ObjectRef } from '../../shared/refs.js';
import { ResourceState, type ResourceEvaluation } from '../resource-state.js';
import { CelOutcomeKind, CelResultType, compileExpression, type CelIssue, type CelProgram } from './cel.js';

/**
 * A health rule as users write it, in the shape of Flux's `healthCheckExprs`: for one kind, CEL expressions
 * over the object that say when it is `current` (Ready), `inProgress` or `failed`, plus an optional
 * `message` expression for the sentence shown beside the colour.
 * https://github.com/fluxcd/flux2/blob/main/rfcs/0009-custom-health-checks/README.md
 *
 * `apiVersion` names the group; any served version of it matches (a CRD's storage version may move).
 * `graceSeconds`: how long an object of this kind with no status at all is waiting for its controller
 * (default 30) before it counts as ready with a note.
 */
export interface HealthRuleSpec {
  readonly apiVersion: string;
  readonly kind: string;
  readonly current: string;
  readonly inProgress?: string;
  readonly failed?: string;
  readonly message?: string;
  readonly graceSeconds?: number;
}

/** Where a rule comes from; the first one that has a rule for a kind decides (pack-status.md). */
export const HealthRuleOrigin = {
  Pack: 'pack',
  Cluster: 'cluster',
  Library: 'library',
} as const;
export type HealthRuleOrigin = (typeof HealthRuleOrigin)[keyof typeof HealthRuleOrigin];

export const HealthRuleField = {
  InProgress: 'inProgress',
  Failed: 'failed',
  Current: 'current',
  Message: 'message',
} as const;
export type HealthRuleField = (typeof HealthRuleField)[keyof typeof HealthRuleField];

export interface CompiledHealthRule {
  readonly spec: HealthRuleSpec;
  readonly group: string;
  readonly kind: string;
  readonly origin: HealthRuleOrigin;
  readonly programs: Partial<Record<HealthRuleField, CelProgram>>;
  readonly graceMs?: number;
}

/** A problem in one expression of a rule, positioned inside that expression. */
export interface HealthRuleIssue extends CelIssue {
  readonly field: HealthRuleField;
}

export type CompileRuleResult =
  | { readonly ok: true; readonly rule: CompiledHealthRule }
  | { readonly ok: false; readonly issues: readonly HealthRuleIssue[] };

/** The order Flux evaluates them in; the first that holds decides. */
const verdicts: readonly { field: HealthRuleField; state: ResourceState; reason: string }[] = [
  { field: HealthRuleField.InProgress, state: ResourceState.Progressing, reason: 'InProgress' },
  { field: HealthRuleField.Failed, state: ResourceState.Failed, reason: 'Failed' },
  { field: HealthRuleField.Current, state: ResourceState.Ready, reason: 'Current' },
];

export function compileHealthRule(
  spec: HealthRuleSpec,
  options: { origin: HealthRuleOrigin; costLimit?: number },
): CompileRuleResult {
  const issues: HealthRuleIssue[] = [];
  const programs: Partial<Record<HealthRuleField, CelProgram>> = {};
  const sources: readonly [HealthRuleField, string | undefined][] = [
    [HealthRuleField.InProgress, spec.inProgress],
    [HealthRuleField.Failed, spec.failed],
    [HealthRuleField.Current, spec.current],
    [HealthRuleField.Message, spec.message],
  ];
  for (const [field, source] of sources) {
    if (source === undefined) continue;
    const resultType = field === HealthRuleField.Message ? CelResultType.String : CelResultType.Bool;
    const compiled = compileExpression(source, {
      resultType,
      ...(options.costLimit === undefined ? {} : { costLimit: options.costLimit }),
    });
    if (compiled.ok) programs[field] = compiled.program;
    else issues.push(...compiled.issues.map((i) => ({ ...i, field })));
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    rule: {
      spec,
      group: apiGroup(spec.apiVersion),
      kind: spec.kind,
      origin: options.origin,
      programs,
      ...(spec.graceSeconds === undefined ? {} : { graceMs: spec.graceSeconds * 1000 }),
    },
  };
}

/** `current: 1:12: undeclared reference to 'sttus'`: one line per issue, for errors shown to people. */
export function formatRuleIssue(issue: HealthRuleIssue): string {
  return `${issue.field}: ${issue.line}:${issue.column}: ${issue.message}`;
}

/**
 * The state of `obj` by `rule`: observedGeneration behind the generation → Progressing (no expression can
 * trust a status written for the previous spec); then `inProgress`, `failed`, `current` in that order, the
 * first that holds deciding; none → Progressing. An expression reading a field the object does not have
 * (no status yet) does not hold, where Flux would report an error until its timeout. An expression that
 * fails otherwise, or is stopped by the cost limit, leaves the object Progressing with `HealthRuleError`
 * naming the rule, so the pack's timeout turns it red with that cause.
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
  for (const { field, state, reason } of verdicts) {
    const program = rule.programs[field];
    if (program === undefined) continue;
    const outcome = program.evaluate(bindings);
    if (outcome.kind === CelOutcomeKind.Missing) continue;
    if (outcome.kind !== CelOutcomeKind.Value) {
      return evaluation(
        ResourceState.Progressing,
        ref,
        'HealthRuleError',
        `${describeRule(rule)}: ${field}: ${outcome.message}`,
      );
    }
    if (outcome.value !== true) continue;
    return evaluation(state, ref, conditionReason(obj) ?? reason, detail(rule, obj, bindings, field));
  }
  return evaluation(
    ResourceState.Progressing,
    ref,
    conditionReason(obj) ?? 'InProgress',
    detail(rule, obj, bindings, undefined),
  );
}

/** `library rule for cert-manager.io/Certificate` */
export function describeRule(rule: CompiledHealthRule): string {
  return `${rule.origin} health rule for ${rule.group === '' ? '' : `${rule.group}/`}${rule.kind}`;
}

/** The object's top-level fields as CEL variables; an absent `status`/`spec`/`metadata` is an empty map. */
export function ruleBindings(obj: KubernetesObject): Record<string, unknown> {
  const record = obj as Record<string, unknown>;
  return {
    self: obj,
    apiVersion: obj.apiVersion ?? '',
    kind: obj.kind ?? '',
    metadata: record['metadata'] ?? {},
    spec: record['spec'] ?? {},
    status: record['status'] ?? {},
  };
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
  held: HealthRuleField | undefined,
): string {
  const message = rule.programs.message?.evaluate(bindings);
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
