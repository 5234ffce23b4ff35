// Watch events → resource evaluations → pack status: which packs own an object (the inventory index), judging
// an owned object by src/status with the health rules and discovery facts in force (health-context.ts), and
// the re-evaluation due when a custom resource's wait for its controller ends.
import type { KubeApi } from '../kube/index.js';
import type { KubeObject } from '../profile/index.js';
import {
  apiGroup,
  evaluateResource,
  ownersAffectedBy,
  refKey,
  type HealthRuleSpec,
  type ObjectRef,
} from '../status/index.js';
import { EvaluationTurns } from './evaluation-turns.js';
import { HealthContext } from './health-context.js';
import { keySet } from './key-set.js';
import type { KindScopes } from './kind-scopes.js';
import { inPackNamespace, type PackRun, type RunnerCore } from './pack-run.js';
import { refOf } from '../shared/refs.js';
import type { WatchSet, WatchSetEvent } from './watch-set.js';

/** The change of an owned object a watch reported. */
type WatchSetOwnedChange = Extract<WatchSetEvent, { type: 'Owned' }>['event'];

/**
 * A pack that owns an object, the ref it knows the object by, and Strata's managed fields of the object right
 * after the pack's last apply of it (drift.ts: a change means someone else took some over). Kept here, beside
 * the ownership, rather than in a Map per pack (~350 bytes each, for what is nearly always a few strings): they
 * go when the object leaves the pack's inventory.
 */
interface Owner {
  readonly run: PackRun;
  readonly ref: ObjectRef;
  appliedFields: string | undefined;
}

export class PackEvaluations {
  /**
   * Owned object key → the packs whose inventory holds it (normally one): O(1) routing of watch events. An
   * array, not a Map per key: one entry per watched object, and a Map of one is ~380 bytes (issue 15).
   */
  private readonly packsByKey = new Map<string, readonly Owner[]>();
  /** Re-evaluations due when a custom resource's wait for its controller's first status ends. */
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  /**
   * Namespace → the packs whose inventory writes to it: its Pods, ReplicaSets and Warning events are watched
   * while it has any (WatchSet.ensureNamespaces), one watch of each however many packs there are.
   */
  private readonly packsByNamespace = new Map<string, Set<PackRun>>();
  private readonly health: HealthContext;
  /** This turn's evaluations stop after a budget of loop time; the rest are judged on later turns. */
  private readonly turns: EvaluationTurns<PackRun>;

  constructor(
    private readonly core: RunnerCore,
    private readonly watches: WatchSet,
    private readonly options: {
      readonly kube: KubeApi;
      readonly now: () => number;
      readonly scopes: KindScopes;
    },
  ) {
    this.turns = new EvaluationTurns<PackRun>({
      evaluate: (run, ref, later) => {
        if (later && !this.stillOwns(run, ref)) return;
        this.evaluateNow(run, ref);
      },
      judgedLater: () => {
        this.core.wake();
      },
    });
    this.health = new HealthContext({
      kube: options.kube,
      now: options.now,
      onKindLearned: (group, kind) => {
        this.evaluateKind(group, kind);
      },
    });
  }

  /**
   * Judges again what a watch event concerns: an owned object, for each pack that owns it (each also passed to
   * `owned`, for drift), or the owners a Pod, ReplicaSet or Warning event is about.
   */
  route(
    event: WatchSetEvent,
    owned: (run: PackRun, ref: ObjectRef, change: WatchSetOwnedChange) => void,
  ): void {
    if (event.type === 'Owned') {
      for (const { run } of this.packsAt(refKey(event.ref))) {
        this.evaluate(run, event.ref);
        owned(run, event.ref, event.event);
      }
      return;
    }
    const owners =
      event.type === 'Warning'
        ? event.uids
        : ownersAffectedBy(event.event.object, (uid) => this.watches.replicaSet(uid));
    for (const uid of owners) {
      const key = this.watches.keyOfUid(uid);
      if (!key) continue;
      for (const { run, ref } of this.packsAt(key)) this.evaluate(run, ref);
    }
  }

  /** Judges the object now, or on a later turn when this turn's evaluations took their budget (evaluation-turns.ts). */
  evaluate(run: PackRun, ref: ObjectRef): void {
    this.turns.submit(run, refKey(ref), ref);
  }

  /** Whether a queued evaluation still concerns a pack of this runner that owns the object. */
  private stillOwns(run: PackRun, ref: ObjectRef): boolean {
    if (this.core.stopped() || this.core.runs.get(run.desired.pack.name) !== run) return false;
    return run.inventoryKeys.has(refKey(ref));
  }

  private evaluateNow(run: PackRun, ref: ObjectRef): void {
    // Until its namespace's Pods, ReplicaSets and Warning events are listed, a workload would be judged without
    // them (a Deployment whose pod is in ImagePullBackOff blue, not red): judged once they are (watchNamespaces).
    if (ref.namespace !== undefined && this.watches.isListing(ref.namespace)) return;
    const object = this.watches.get(ref);
    if (!run.gate.admits(refKey(ref), object)) return;
    const health = this.health.evaluateOptions(
      {
        ...(run.desired.healthChecks === undefined ? {} : { healthChecks: run.desired.healthChecks }),
        ...(run.desired.pack.healthGraceMs === undefined ? {} : { graceMs: run.desired.pack.healthGraceMs }),
      },
      ref,
    );
    const evaluation = evaluateResource(ref, object, { related: this.watches, ...health });
    this.scheduleGraceRecheck(run, ref, this.health.recheckIn(evaluation, object, ref, health));
    this.core.dispatch(run, { type: 'ResourceEvaluated', time: this.core.iso(), ref, evaluation });
  }

  /** Every owned object the watches have seen, judged again (the pack's health rules changed). */
  evaluateInventory(run: PackRun): void {
    if (this.core.stopped()) return;
    for (const ref of run.inventory) if (this.watches.get(ref)) this.evaluate(run, ref);
  }

  /**
   * The cluster-wide health rules an admin applied (`strata health apply`); every owned object is judged
   * again by them. Pack rules still win over them.
   */
  setClusterHealthRules(specs: readonly HealthRuleSpec[]): void {
    this.health.setClusterRules(specs);
    for (const run of this.core.runs.values()) this.evaluateInventory(run);
    this.core.wake();
  }

  /** The objects the pack owns from now on: indexed for watch events, and judged if already seen. */
  setInventory(run: PackRun, objects: readonly KubeObject[] | readonly ObjectRef[]): void {
    const refs = objects
      .map((o) => ('metadata' in o ? refOf(o) : o))
      .map((r) => inPackNamespace(run, r, this.options.scopes));
    // One key string per object, shared by the keys and the index.
    const keys = refs.map(refKey);
    const kept = this.appliedFieldsOf(run, keys);
    this.unindexKeys(run);
    this.useNamespaces(run, run.inventory, refs);
    run.inventory = refs;
    run.inventoryKeys = keySet(keys);
    run.gate.retain(run.inventoryKeys);
    refs.forEach((ref, i) => {
      const key = keys[i] ?? refKey(ref);
      const owners = this.packsByKey.get(key) ?? NONE;
      const owner: Owner = { run, ref, appliedFields: kept?.get(key) };
      this.packsByKey.set(key, owners.length === 0 ? [owner] : [...owners, owner]);
    });
    this.core.dispatch(run, { type: 'InventoryChanged', time: this.core.iso(), resources: refs });
    // Objects the watches have not seen stay "not yet observed"; evaluating them now would only emit a
    // Missing/NotFound status for each, one full status event per object for nothing.
    for (const ref of refs) if (this.watches.get(ref)) this.evaluate(run, ref);
  }

  /** The packs that own the object at `key`, with the ref each knows it by. */
  private packsAt(key: string): readonly Owner[] {
    return this.packsByKey.get(key) ?? NONE;
  }

  private ownerAt(run: PackRun, key: string): Owner | undefined {
    return this.packsByKey.get(key)?.find((o) => o.run === run);
  }

  /** Records Strata's managed fields of an object of the pack's inventory, as our apply answered them. */
  setAppliedFields(run: PackRun, key: string, fields: string): void {
    const owner = this.ownerAt(run, key);
    if (owner !== undefined) owner.appliedFields = fields;
  }

  /** Strata's managed fields of the object at `key` after the pack's last apply of it (undefined: not applied). */
  appliedFields(run: PackRun, key: string): string | undefined {
    return this.ownerAt(run, key)?.appliedFields;
  }

  /** What the pack applied of the objects at `keys` that it owns now (undefined: nothing). */
  private appliedFieldsOf(run: PackRun, keys: readonly string[]): Map<string, string> | undefined {
    let applied: Map<string, string> | undefined;
    for (const key of keys) {
      const fields = this.ownerAt(run, key)?.appliedFields;
      if (fields !== undefined) (applied ??= new Map()).set(key, fields);
    }
    return applied;
  }

  /** The pack is gone: its objects no longer route to it, and its namespaces are no longer watched for it. */
  unindex(run: PackRun): void {
    this.unindexKeys(run);
    this.useNamespaces(run, run.inventory, NONE_REFS);
  }

  private unindexKeys(run: PackRun): void {
    this.turns.forget(run);
    for (const key of run.inventoryKeys) {
      const owners = this.packsByKey.get(key)?.filter((o) => o.run !== run);
      if (owners === undefined) continue;
      if (owners.length === 0) this.packsByKey.delete(key);
      else this.packsByKey.set(key, owners);
    }
  }

  stop(): void {
    this.turns.stop();
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
  }

  /** Discovery told whether a kind has a status subresource: its objects may be judged differently now. */
  private evaluateKind(group: string, kind: string): void {
    if (this.core.stopped()) return;
    for (const run of this.core.runs.values()) {
      for (const ref of run.inventory) {
        if (ref.kind === kind && apiGroup(ref.apiVersion) === group && this.watches.get(ref)) {
          this.evaluate(run, ref);
        }
      }
    }
    this.core.wake();
  }

  /** A custom resource waiting for its controller's first status is looked at again when its grace ends. */
  private scheduleGraceRecheck(run: PackRun, ref: ObjectRef, inMs: number | undefined): void {
    // Nearly every evaluation has no grace to wait out and none pending: no key is built for it.
    if (inMs === undefined && this.graceTimers.size === 0) return;
    const key = `${run.desired.pack.name}\0${refKey(ref)}`;
    clearTimeout(this.graceTimers.get(key));
    this.graceTimers.delete(key);
    if (inMs === undefined || this.core.stopped()) return;
    const timer = setTimeout(() => {
      this.graceTimers.delete(key);
      if (this.core.stopped() || this.core.runs.get(run.desired.pack.name) !== run) return;
      if (!run.inventoryKeys.has(refKey(ref))) return;
      this.evaluate(run, ref);
      this.core.wake();
    }, inMs);
    timer.unref();
    this.graceTimers.set(key, timer);
  }

  /**
   * The pack writes to the namespaces of `after` now, no longer to those of `before`: the namespaces new to every
   * pack are watched, those no pack writes to any more are released (WatchSet.releaseNamespace). Namespaces are
   * counted per pack, not per object, and a pack that stays in a namespace keeps it watched across the change.
   */
  private useNamespaces(run: PackRun, before: readonly ObjectRef[], after: readonly ObjectRef[]): void {
    const now = namespacesOf(after);
    let fresh: string[] | undefined;
    for (const namespace of now) {
      let packs = this.packsByNamespace.get(namespace);
      if (packs === undefined) {
        packs = new Set();
        this.packsByNamespace.set(namespace, packs);
      }
      packs.add(run);
      // Asked again while its lists are not all started (a refused one is retried by the next inventory).
      if (!this.watches.isWatched(namespace)) (fresh ??= []).push(namespace);
    }
    for (const namespace of namespacesOf(before)) {
      if (now.has(namespace)) continue;
      const packs = this.packsByNamespace.get(namespace);
      if (packs === undefined || !packs.delete(run) || packs.size > 0) continue;
      this.packsByNamespace.delete(namespace);
      this.watches.releaseNamespace(namespace);
    }
    if (fresh !== undefined) this.watchNamespaces(fresh);
  }

  /**
   * Lists the namespaces' Pods, ReplicaSets and Warning events, then judges the objects of every pack there that
   * the watches have seen: evaluateNow held them back meanwhile. Each namespace is judged when its own lists are
   * done, not when all are: one refused for good would have the others judged while still listing, then never
   * (review 21). A failed list is retried by the next inventory in the namespace; its objects are judged without
   * it (the status rules work without them, less precisely).
   */
  private watchNamespaces(namespaces: readonly string[]): void {
    for (const namespace of namespaces) {
      const judge = () => {
        if (this.core.stopped()) return;
        for (const run of this.packsByNamespace.get(namespace) ?? [])
          for (const ref of run.inventory)
            if (ref.namespace === namespace && this.watches.get(ref)) this.evaluate(run, ref);
        this.core.wake();
      };
      this.watches.ensureNamespaces([namespace]).then(judge, judge);
    }
  }
}

/** The namespaces of these refs (cluster-scoped objects have none). */
function namespacesOf(refs: readonly ObjectRef[]): Set<string> {
  const out = new Set<string>();
  for (const { namespace } of refs) if (namespace !== undefined) out.add(namespace);
  return out;
}

const NONE_REFS: readonly ObjectRef[] = [];
const NONE: readonly Owner[] = [];
