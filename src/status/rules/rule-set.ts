import type { KubernetesObject } from '@kubernetes/client-node';
import type { ObjectRef } from '../../shared/refs.js';
import type { CompiledHealthRule } from '../../health-rules/health-rule.js';
import { libraryRule, ruleKey } from './library.js';

/**
 * The health rules in force for one pack, by precedence (pack-status.md): the pack's profile's
 * `spec.healthChecks`, then the cluster-wide rules an admin applied, then the built-in library; a kind none
 * of them covers falls to the generic conditions rule.
 */
export class HealthRules {
  private readonly pack: ReadonlyMap<string, CompiledHealthRule>;
  private readonly cluster: ReadonlyMap<string, CompiledHealthRule>;

  constructor(
    layers: {
      readonly pack?: readonly CompiledHealthRule[];
      readonly cluster?: readonly CompiledHealthRule[];
    } = {},
  ) {
    this.pack = byKind(layers.pack ?? []);
    this.cluster = byKind(layers.cluster ?? []);
  }

  find(ref: Pick<ObjectRef, 'apiVersion' | 'kind'>, obj: KubernetesObject): CompiledHealthRule | undefined {
    const key = ruleKey(ref.apiVersion, ref.kind);
    return this.pack.get(key) ?? this.cluster.get(key) ?? libraryRule(ref, obj);
  }
}

/** Only the built-in library. */
export const libraryOnly = new HealthRules();

function byKind(rules: readonly CompiledHealthRule[]): ReadonlyMap<string, CompiledHealthRule> {
  // Later entries win, so a list read top to bottom ends with the rule that applies.
  return new Map(rules.map((r) => [`${r.group}/${r.kind}`, r]));
}
