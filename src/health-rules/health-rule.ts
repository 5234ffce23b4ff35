import type { KubernetesObject } from '@kubernetes/client-node';
import { apiGroup } from '../shared/refs.js';
import {
  compileExpression,
  CelResultType,
  DEFAULT_COST_LIMIT,
  type CelIssue,
  type CelProgram,
} from './cel.js';

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
  /** Cost units one object's evaluation by the rule may spend, all its expressions together (cel.ts). */
  readonly costLimit: number;
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

export function compileHealthRule(
  spec: HealthRuleSpec,
  options: {
    origin: HealthRuleOrigin;
    costLimit?: number;
    /** Refuse expressions whose worst case over literal lists is past the limit (cel.ts); default true. */
    estimateCost?: boolean;
  },
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
      ...(options.estimateCost === undefined ? {} : { estimateCost: options.estimateCost }),
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
      costLimit: options.costLimit ?? DEFAULT_COST_LIMIT,
      programs,
      ...(spec.graceSeconds === undefined ? {} : { graceMs: spec.graceSeconds * 1000 }),
    },
  };
}

/** `current: 1:12: undeclared reference to 'sttus'`: one line per issue, for errors shown to people. */
export function formatRuleIssue(issue: HealthRuleIssue): string {
  return `${issue.field}: ${issue.line}:${issue.column}: ${issue.message}`;
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
