import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeApi } from '../kube/index.js';
import {
  AWAITING_STATUS_REASON,
  apiGroup,
  compileHealthRule,
  HealthRuleOrigin,
  HealthRules,
  isBuiltinGroup,
  statusGraceEnd,
  type CompiledHealthRule,
  type CustomResourceInfo,
  type EvaluateOptions,
  type HealthRuleSpec,
  type ObjectRef,
  type ResourceEvaluation,
} from '../status/index.js';

/**
 * What the status rules need for custom resources beyond the object (src/status/custom-resource.ts): the
 * health rules in force for a pack (its profile's, then the cluster's, then the library), whether the kind's
 * CRD declares a status subresource (from discovery), and the clock. Also tells the runner when an object
 * waiting for its controller's first status must be looked at again (the end of its grace period).
 */
export class HealthContext {
  private clusterRules: readonly CompiledHealthRule[] = [];
  /** By the profile's rule list (the same array for every pack of a loaded profile): compiled once. */
  private byProfile = new WeakMap<readonly HealthRuleSpec[], HealthRules>();
  /** `group/Kind` → the CRD declares a status subresource; absent while discovery has not answered. */
  private readonly statusSubresource = new Map<string, boolean>();
  private readonly asking = new Set<string>();

  constructor(
    private readonly options: {
      readonly kube: KubeApi;
      readonly now: () => number;
      /** A kind's discovery answered: objects of it may now be judged differently. */
      readonly onKindLearned: (group: string, kind: string) => void;
    },
  ) {}

  /** The cluster-wide rules an admin applied; compiled once here (they were checked when stored). */
  setClusterRules(specs: readonly HealthRuleSpec[]): void {
    this.clusterRules = compileAll(specs, HealthRuleOrigin.Cluster);
    this.byProfile = new WeakMap();
  }

  evaluateOptions(
    pack: { readonly healthChecks?: readonly HealthRuleSpec[]; readonly graceMs?: number },
    ref: ObjectRef,
  ): Pick<EvaluateOptions, 'healthRules' | 'customResource'> {
    const healthRules = this.rulesFor(pack.healthChecks ?? NO_RULES);
    const group = apiGroup(ref.apiVersion);
    if (isBuiltinGroup(group)) return { healthRules };
    const key = `${group}/${ref.kind}`;
    const known = this.statusSubresource.get(key);
    if (known === undefined) this.learn(ref, key);
    const customResource: CustomResourceInfo = {
      // Until discovery answers, assume a controller will write status: never green too early.
      statusSubresource: known ?? true,
      now: this.options.now(),
      ...(pack.graceMs === undefined ? {} : { graceMs: pack.graceMs }),
    };
    return { healthRules, customResource };
  }

  /** When to evaluate `live` again because its grace period ends, in ms from now; undefined: no need. */
  recheckIn(
    evaluation: ResourceEvaluation,
    live: KubernetesObject | undefined,
    ref: ObjectRef,
    options: Pick<EvaluateOptions, 'healthRules' | 'customResource'>,
  ): number | undefined {
    if (evaluation.reason !== AWAITING_STATUS_REASON || live === undefined) return undefined;
    if (options.customResource === undefined || options.healthRules === undefined) return undefined;
    const end = statusGraceEnd(live, {
      rules: options.healthRules,
      info: options.customResource,
      ref,
    });
    // A few ms past the end, so the evaluation then is past it too.
    return end === undefined ? undefined : Math.max(0, end - this.options.now()) + 5;
  }

  private rulesFor(specs: readonly HealthRuleSpec[]): HealthRules {
    let rules = this.byProfile.get(specs);
    if (rules === undefined) {
      rules = new HealthRules({
        pack: compileAll(specs, HealthRuleOrigin.Pack),
        cluster: this.clusterRules,
      });
      this.byProfile.set(specs, rules);
    }
    return rules;
  }

  private learn(ref: ObjectRef, key: string): void {
    if (this.asking.has(key)) return;
    this.asking.add(key);
    this.options.kube
      .resourceFor(ref.apiVersion, ref.kind)
      .then((info) => {
        this.statusSubresource.set(key, info.statusSubresource === true);
        this.options.onKindLearned(apiGroup(ref.apiVersion), ref.kind);
      })
      // Not served yet (the CRD is still being established): asked again on the next evaluation.
      .catch(() => undefined)
      .finally(() => this.asking.delete(key));
  }
}

const NO_RULES: readonly HealthRuleSpec[] = [];

/** Rules that were checked when stored; one that no longer compiles (a grammar change) is skipped. */
function compileAll(specs: readonly HealthRuleSpec[], origin: HealthRuleOrigin): CompiledHealthRule[] {
  return specs.flatMap((spec) => {
    // Checked when stored; stored before the cost estimate, a rule still runs, stopped by the meter.
    const compiled = compileHealthRule(spec, { origin, estimateCost: false });
    return compiled.ok ? [compiled.rule] : [];
  });
}
