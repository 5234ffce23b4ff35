// Cluster-wide health rules (`strata health apply`) and trying rules on an object (`strata health test`).
// Kept out of hub.ts: the hub wires it to its runners and to the live objects of its clusters.
import type { KubernetesObject } from '@kubernetes/client-node';
import { formatIssues, type ProfileIssue } from '../profile/index.js';
import type { HealthRulesRecord, Store } from '../store/index.js';
import { apiGroup, refOf, type HealthRuleSpec, type ObjectRef } from '../status/index.js';
import { busyError, HubError, HubErrorCode } from './errors.js';
import { HUB_OWNER, type WaitingOwner } from './fair-waiting.js';
import { parseRules, type HealthTestJob, type HealthVerdict } from './health-test.js';
import { secretRefused } from './live-objects.js';
import { UploadCheckAborted, UploadChecker, UploadCheckerBusy, UploadTooCostly } from './upload-checker.js';

export interface HealthRulesActor {
  readonly tokenId?: string;
  readonly name: string;
}

export type { HealthVerdict } from './health-test.js';

/** A health-rule test still running after this is ended: parsing 1 MiB of rules and a 50 ms evaluation fit. */
export const HEALTH_TEST_TIMEOUT_MS = 10_000;

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
      /** A test still running after this is ended. Default HEALTH_TEST_TIMEOUT_MS. */
      readonly testTimeoutMs?: number;
    },
  ) {}

  /**
   * Threads for tests, apart from the uploads' so that viewers trying rules never delay an import. Its waiting
   * places are shared between the tokens that wait (fair-waiting.ts): a few viewers cannot keep others BUSY.
   */
  private readonly tests = new UploadChecker({ concurrency: 1, maxWaiting: 8 });

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

  /**
   * The verdict for an object (a file's or a live one) under the given rules, the cluster's, the library.
   * Parsing and evaluating run in a worker thread stopped after HEALTH_TEST_TIMEOUT_MS: the rules and the
   * object come from any viewer, and CEL the cost count misjudges could otherwise hold the event loop. `signal`:
   * the caller gave up (its request was closed): waiting, the test leaves the queue; running, its thread is ended.
   */
  async test(
    input: HealthTestInput,
    owner: WaitingOwner = HUB_OWNER,
    signal?: AbortSignal,
  ): Promise<HealthVerdict> {
    let object = input.object;
    let ref: ObjectRef | undefined;
    let customResource: HealthTestJob['customResource'];
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
      customResource = { statusSubresource: found.statusSubresource, now: (this.options.now ?? Date.now)() };
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
    const job: HealthTestJob = {
      ...(input.rules === undefined ? {} : { rules: input.rules }),
      ...(input.file === undefined ? {} : { file: input.file }),
      cluster: this.specs,
      ref,
      object,
      ...(customResource === undefined ? {} : { customResource }),
    };
    let result;
    try {
      result = await this.tests.testHealthRules(
        job,
        this.options.testTimeoutMs ?? HEALTH_TEST_TIMEOUT_MS,
        owner,
        signal,
      );
    } catch (error) {
      if (error instanceof UploadCheckAborted) throw busyError(error, 'health-rule test');
      if (error instanceof UploadCheckerBusy) throw busyError(error, 'health-rule tests are queued already');
      if (error instanceof UploadTooCostly)
        throw new HubError(
          HubErrorCode.HealthRulesInvalid,
          `the health rules are too costly to try on this object: ${error.message}; make the rules or the object smaller`,
        );
      throw error;
    }
    if (result.kind === 'invalid') throw invalidRules(result.issues);
    return result.verdict;
  }

  /** Ends the test threads (the hub is closing). */
  close(): Promise<void> {
    return this.tests.close();
  }

  private parse(yaml: string, file?: string): HealthRuleSpec[] {
    const parsed = parseRules(yaml, file);
    if (!parsed.ok) throw invalidRules(parsed.issues);
    return parsed.value;
  }
}

function invalidRules(issues: readonly ProfileIssue[]): HubError {
  return new HubError(
    HubErrorCode.HealthRulesInvalid,
    `${issues.length} problem(s) in the health rules:\n${formatIssues(issues)}`,
    { issues },
  );
}
