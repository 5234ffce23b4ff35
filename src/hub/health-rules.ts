// Cluster-wide health rules (`strata health apply`) and trying rules on an object (`strata health test`).
// Kept out of hub.ts: the hub wires it to its runners and to the live objects of its clusters.
import type { KubernetesObject } from '@kubernetes/client-node';
import { formatIssues, parseHealthRulesFile } from '../profile/index.js';
import type { HealthRulesRecord, Store } from '../store/index.js';
import {
  compileHealthRule,
  evaluateResource,
  HealthRuleOrigin,
  HealthRules,
  isBuiltinGroup,
  apiGroup,
  refOf,
  type CompiledHealthRule,
  type HealthRuleSpec,
  type ObjectRef,
  type ResourceEvaluation,
} from '../status/index.js';
import { HubError, HubErrorCode } from './errors.js';
import { secretRefused } from './live-objects.js';

export interface HealthRulesActor {
  readonly tokenId?: string;
  readonly name: string;
}

/** What a rule says about one object, and which rule said it. */
export interface HealthVerdict extends ResourceEvaluation {
  /** The rule that decided: `pack` (the file under test), `cluster`, `library`; absent: a built-in rule or the generic one. */
  readonly rule?: { readonly origin: string; readonly apiVersion: string; readonly kind: string };
}

export interface HealthTestInput {
  /** A HealthRules file to try; its rules win over the cluster's, as a profile's would. */
  readonly rules?: string;
  readonly file?: string;
  /** The object as a file holds it. */
  readonly object?: KubernetesObject;
  /** Or a live object of a registered cluster. */
  readonly live?: { readonly cluster: string; readonly ref: ObjectRef };
}

export class HealthRuleService {
  private specs: readonly HealthRuleSpec[] = [];

  constructor(
    private readonly options: {
      readonly store: Store;
      /** Called with the rules now in force, for every runner. */
      readonly onChange: (specs: readonly HealthRuleSpec[]) => void;
      /** A live object of a registered cluster, with what discovery says of its kind. */
      readonly liveObject: (
        cluster: string,
        ref: ObjectRef,
      ) => Promise<{ object: KubernetesObject | undefined; statusSubresource: boolean }>;
      readonly now?: () => number;
    },
  ) {}

  /** The rules in force, for runners started later. */
  get inForce(): readonly HealthRuleSpec[] {
    return this.specs;
  }

  /** Reads the rules in force from the store and hands them to the runners. */
  async load(): Promise<void> {
    this.specs = (await this.options.store.healthRules.current())?.rules ?? [];
    if (this.specs.length > 0) this.options.onChange(this.specs);
  }

  current(): Promise<HealthRulesRecord | undefined> {
    return this.options.store.healthRules.current();
  }

  /** Checks the file (positioned issues), stores it as a new version, audits it, and puts it in force. */
  async apply(input: { yaml: string; file?: string }, actor: HealthRulesActor): Promise<HealthRulesRecord> {
    const specs = this.parse(input.yaml, input.file);
    const record = await this.options.store.transaction(async (tx) => {
      const applied = await tx.healthRules.apply({ rules: specs, source: input.yaml, actorName: actor.name });
      await tx.audit.record({
        actor,
        action: 'health.apply',
        target: `health-rules/${applied.version}`,
        details: { kinds: specs.map((s) => `${apiGroup(s.apiVersion)}/${s.kind}`) },
      });
      return applied;
    });
    this.specs = record.rules;
    this.options.onChange(this.specs);
    return record;
  }

  /** The verdict for an object (a file's or a live one) under the given rules, the cluster's, the library. */
  async test(input: HealthTestInput): Promise<HealthVerdict> {
    const tried = input.rules === undefined ? [] : this.parse(input.rules, input.file);
    const rules = new HealthRules({
      pack: compileAll(tried, HealthRuleOrigin.Pack),
      cluster: compileAll(this.specs, HealthRuleOrigin.Cluster),
    });
    let object = input.object;
    let ref: ObjectRef | undefined;
    let statusSubresource: boolean | undefined;
    if (input.live !== undefined) {
      // Refused before any read; the reader refuses again by the resource the API server maps it to.
      if (input.live.ref.kind === 'Secret' && apiGroup(input.live.ref.apiVersion) === '')
        throw secretRefused();
      const found = await this.options.liveObject(input.live.cluster, input.live.ref);
      if (found.object === undefined) {
        throw new HubError(
          HubErrorCode.NotFound,
          `${input.live.ref.kind} ${input.live.ref.namespace ? `${input.live.ref.namespace}/` : ''}${input.live.ref.name} not found in cluster ${input.live.cluster}`,
        );
      }
      object = found.object;
      ref = input.live.ref;
      statusSubresource = found.statusSubresource;
    }
    if (object === undefined) {
      throw new HubError(HubErrorCode.InvalidInput, 'give an object or a live object to test the rules on');
    }
    ref ??= refOf(object);
    if (ref.apiVersion === '' || ref.kind === '' || ref.name === '') {
      throw new HubError(
        HubErrorCode.InvalidInput,
        'object: apiVersion, kind and metadata.name are required',
      );
    }
    const evaluation = evaluateResource(ref, object, {
      healthRules: rules,
      ...(statusSubresource === undefined
        ? {}
        : { customResource: { statusSubresource, now: (this.options.now ?? Date.now)() } }),
    });
    const rule = isBuiltinGroup(apiGroup(ref.apiVersion)) ? undefined : rules.find(ref, object);
    return {
      ...evaluation,
      ...(rule === undefined
        ? {}
        : { rule: { origin: rule.origin, apiVersion: rule.spec.apiVersion, kind: rule.spec.kind } }),
    };
  }

  private parse(yaml: string, file = 'health-rules.yaml'): HealthRuleSpec[] {
    const parsed = parseHealthRulesFile(yaml, { file });
    if (!parsed.ok) {
      throw new HubError(
        HubErrorCode.HealthRulesInvalid,
        `${parsed.issues.length} problem(s) in the health rules:\n${formatIssues(parsed.issues)}`,
        { issues: parsed.issues },
      );
    }
    return parsed.value;
  }
}

function compileAll(specs: readonly HealthRuleSpec[], origin: HealthRuleOrigin): CompiledHealthRule[] {
  return specs.flatMap((spec) => {
    const compiled = compileHealthRule(spec, { origin });
    return compiled.ok ? [compiled.rule] : [];
  });
}
