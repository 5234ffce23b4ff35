/**
 * Health rules as users write them (CEL, in the shape of Flux's `healthCheckExprs`): the spec, the compiler
 * with positioned errors, the CEL evaluator with its cost limit, and which API groups are Kubernetes' own
 * (rules are for custom resources only). Pure and dependency-free but for @bufbuild/cel: src/profile
 * compiles a profile's rules at load with it, and src/status judges objects with the compiled rules.
 */
export {
  compileHealthRule,
  describeRule,
  formatRuleIssue,
  HealthRuleField,
  HealthRuleOrigin,
  type CompiledHealthRule,
  type CompileRuleResult,
  type HealthRuleIssue,
  type HealthRuleSpec,
} from './health-rule.js';
export { DEFAULT_COST_LIMIT, MAX_EXPRESSION_LENGTH } from './cel.js';
export { isBuiltinGroup } from './builtin-groups.js';
