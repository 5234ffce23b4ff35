// Trying health rules on one object: parse the rules under test, compile them with the cluster's, evaluate.
// Pure over its input with a plain-data result, so it runs in a worker thread (upload-worker.ts) under the
// pool's deadline: a viewer's 1 MiB rules file and CEL that the cost count misjudges (re-wrapping a map per
// iteration) never hold the hub's event loop, and a test that runs too long is ended, not waited for.
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseHealthRulesFile, type ProfileIssue } from '../profile/index.js';
import {
  apiGroup,
  compileHealthRule,
  evaluateResource,
  HealthRuleOrigin,
  HealthRules,
  isBuiltinGroup,
  type CompiledHealthRule,
  type HealthRuleSpec,
  type ObjectRef,
  type ResourceEvaluation,
} from '../status/index.js';

/** What a rule says about one object, and which rule said it. */
export interface HealthVerdict extends ResourceEvaluation {
  /** The rule that decided: `pack` (the file under test), `cluster`, `library`; absent: a built-in rule or the generic one. */
  readonly rule?: { readonly origin: string; readonly apiVersion: string; readonly kind: string };
}

export interface HealthTestJob {
  /** A HealthRules file to try; its rules win over the cluster's, as a profile's would. */
  readonly rules?: string;
  readonly file?: string;
  /** The cluster-wide rules in force. */
  readonly cluster: readonly HealthRuleSpec[];
  readonly ref: ObjectRef;
  readonly object: KubernetesObject;
  /** A live custom resource: whether its kind has a status subresource, and the time to judge its age by. */
  readonly customResource?: { readonly statusSubresource: boolean; readonly now: number };
}

export type HealthTestResult =
  | { readonly kind: 'verdict'; readonly verdict: HealthVerdict }
  | { readonly kind: 'invalid'; readonly issues: readonly ProfileIssue[] };

export function runHealthTest(job: HealthTestJob): HealthTestResult {
  const tried = job.rules === undefined ? { ok: true as const, value: [] } : parseRules(job.rules, job.file);
  if (!tried.ok) return { kind: 'invalid', issues: tried.issues };
  const rules = new HealthRules({
    pack: compileAll(tried.value, HealthRuleOrigin.Pack),
    cluster: compileAll(job.cluster, HealthRuleOrigin.Cluster),
  });
  const evaluation = evaluateResource(job.ref, job.object, {
    healthRules: rules,
    ...(job.customResource === undefined ? {} : { customResource: job.customResource }),
  });
  const rule = isBuiltinGroup(apiGroup(job.ref.apiVersion)) ? undefined : rules.find(job.ref, job.object);
  return {
    kind: 'verdict',
    verdict: {
      ...evaluation,
      ...(rule === undefined
        ? {}
        : { rule: { origin: rule.origin, apiVersion: rule.spec.apiVersion, kind: rule.spec.kind } }),
    },
  };
}

export function parseRules(yaml: string, file = 'health-rules.yaml') {
  return parseHealthRulesFile(yaml, { file });
}

function compileAll(specs: readonly HealthRuleSpec[], origin: HealthRuleOrigin): CompiledHealthRule[] {
  return specs.flatMap((spec) => {
    // Checked when stored; stored before the cost estimate, a rule still runs, stopped by the meter.
    const compiled = compileHealthRule(spec, { origin, estimateCost: false });
    return compiled.ok ? [compiled.rule] : [];
  });
}
