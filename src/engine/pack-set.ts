// The packs a runner holds: the desired set as it changes, each pack's stored status taken once at its first
// appearance, and the stored packs nobody wants any more taken over for removal (orphans.ts).
import { initialPackStatus, refKey, type ObjectRef, type PackStatus } from '../status/index.js';
import type { DesiredPack } from './desired.js';
import { orphanedPacks } from './orphans.js';
import type { PackRun } from './pack-run.js';
import { keySet } from './key-set.js';
import { RevisionGate } from './revision-gate.js';
import type { ScheduledPack } from './schedule.js';
import { sharedPredecessors } from './scheduler.js';

/** What a new desired set changed that the runner reacts to (beyond starting its next reconcile). */
export interface DesiredChanges {
  /** New packs that came with a stored status: shown as stored at once. */
  readonly restored: readonly PackRun[];
  /** Packs whose health rules changed: their objects are judged again. */
  readonly rulesChanged: readonly PackRun[];
  /** Packs attached again while being removed: their uninstall retries stop. */
  readonly reattached: readonly PackRun[];
}

export class PackSet {
  readonly runs = new Map<string, PackRun>();
  /**
   * The stored statuses not taken yet: each is taken once. A pack removed and then added again in this process
   * starts a new life, as on a running hub; taking its stored status again would repeat its old transitions.
   */
  private readonly stored: Map<string, PackStatus>;
  /** Whether the stored packs nobody wants any more were taken over for removal (first setDesired). */
  private orphansAdopted = false;
  /** predecessors() of the active packs, until the packs or their definitions change (`predecessors`). */
  private ordering: ReadonlyMap<string, readonly string[]> | undefined;
  /** The packs being removed, in install order, until the packs change (`removing`). */
  private leaving: readonly PackRun[] | undefined;

  constructor(initial: ReadonlyMap<string, PackStatus> | undefined) {
    this.stored = new Map(initial);
  }

  /**
   * The packs the cluster should have, in install order. New packs are queued (or restored), changed ones take
   * their new definition (the runner's reconcile upgrades them), and packs not in the set are marked removing.
   */
  setDesired(packs: readonly DesiredPack[]): DesiredChanges {
    this.ordering = undefined;
    this.leaving = undefined;
    const changes = { restored: [] as PackRun[], rulesChanged: [] as PackRun[], reattached: [] as PackRun[] };
    const names = new Set(packs.map((p) => p.pack.name));
    for (const desired of packs) {
      const run = this.runs.get(desired.pack.name);
      if (run) {
        // The same definition again (e.g. another profile of the cluster changed): leave the pack alone.
        const unchanged = sameDefinition(run.desired, desired);
        if (unchanged && run.startedFor === run.desired) run.startedFor = desired;
        const rulesChanged =
          JSON.stringify(run.desired.healthChecks) !== JSON.stringify(desired.healthChecks);
        run.desired = desired;
        if (rulesChanged) changes.rulesChanged.push(run);
        if (run.removing) changes.reattached.push(run);
        run.removing = false;
        continue;
      }
      const initial = this.takeStored(desired.pack.name);
      const created = newPackRun(desired, initial ?? QUEUED);
      this.runs.set(desired.pack.name, created);
      if (initial) changes.restored.push(created);
    }
    for (const [name, run] of this.runs) if (!names.has(name)) run.removing = true;
    this.adoptOrphans(names, packs.length);
    return changes;
  }

  /** A pack is gone (its removal finished). */
  remove(name: string): void {
    this.runs.delete(name);
    this.ordering = undefined;
    this.leaving = undefined;
  }

  /**
   * What each active pack waits for directly (sharedPredecessors(): one list per wave), computed once per
   * change of the packs: the scheduler reads it on every phase change, and building a key of every pack to
   * check that nothing changed cost as much as the scheduling itself (issue 15).
   */
  predecessors(): ReadonlyMap<string, readonly string[]> {
    this.ordering ??= sharedPredecessors(
      [...this.runs.values()]
        .filter((run) => !run.removing)
        .sort((a, b) => a.desired.wave - b.desired.wave || a.desired.order - b.desired.order)
        .map(({ desired: { pack, profile, wave } }) => ({
          name: pack.name,
          layer: pack.layer,
          profile: profile.name,
          wave,
          dependsOn: pack.dependsOn,
        })),
    );
    return this.ordering;
  }

  /** Every pack, in install order. */
  inOrder(): PackRun[] {
    return [...this.runs.values()].sort((a, b) => a.desired.order - b.desired.order);
  }

  /** The packs not being removed, in install order, as the schedule (schedule.ts) orders them. */
  active(): ScheduledPack[] {
    return this.inOrder()
      .filter((run) => !run.removing)
      .map(({ desired }) => ({ name: desired.pack.name, wave: desired.wave, order: desired.order }));
  }

  /** The packs being removed, in install order, kept until the packs change: each reconcile reads it. */
  removing(): readonly PackRun[] {
    this.leaving ??= this.inOrder().filter((run) => run.removing);
    return this.leaving;
  }

  private takeStored(pack: string): PackStatus | undefined {
    const status = this.stored.get(pack);
    this.stored.delete(pack);
    return status;
  }

  /**
   * A hub killed while removing a pack restarts without it in the desired set, though its objects and stored
   * status remain: such packs are removed as dropped packs are, from what the store remembers of them.
   */
  private adoptOrphans(desired: ReadonlySet<string>, firstOrder: number): void {
    if (this.orphansAdopted) return;
    this.orphansAdopted = true;
    const orphans = orphanedPacks(this.stored, desired, firstOrder);
    this.stored.clear();
    for (const orphan of orphans) {
      const run = newPackRun(orphan.desired, orphan.status, [...orphan.inventory]);
      run.removing = true;
      this.runs.set(orphan.desired.pack.name, run);
    }
  }
}

/**
 * The status of a new pack before anything happened to it. Statuses are values (reducePackStatus returns a new
 * one on every change), so every new pack starts from this one: not one computed and kept per pack.
 */
const QUEUED = initialPackStatus({ revision: '', stage: { type: 'Queued' } });

function newPackRun(desired: DesiredPack, status: PackStatus, inventory: ObjectRef[] = []): PackRun {
  // Every field a run gets later is there from the start (undefined): all runs keep one shape, with their
  // fields inside the object, rather than each growing a property array as its install sets them.
  return {
    desired,
    rendered: undefined,
    status,
    inventory,
    inventoryKeys: keySet(inventory.map(refKey)),
    appliedRevision: undefined,
    startedFor: undefined,
    task: undefined,
    removing: false,
    correcting: undefined,
    gate: new RevisionGate(),
  };
}

/** Same pack definition and source folder: nothing to re-render. */
function sameDefinition(a: DesiredPack, b: DesiredPack): boolean {
  return (
    a.chartFile === b.chartFile &&
    a.profile.name === b.profile.name &&
    // The hub's planner hands unchanged attachments' packs over as the same objects: no serialization of
    // every manifest of the cluster on each attach (issue 15).
    (a.pack === b.pack || JSON.stringify(a.pack) === JSON.stringify(b.pack))
  );
}
