// The scheduler's install steps kept up to date incrementally (issue 15, item 3): nextSteps() (scheduler.ts)
// decides from a snapshot of every pack, which made each phase change cost a pass over all packs; on a real
// cluster, where phase changes come one per watch event, an install of n packs cost n². Here each pack keeps the
// gate it passes on to its dependants and each distinct predecessor list (one per wave: sharedPredecessors) the
// gate it combines to, so a change is carried only to the packs that wait on the changed one, and stops where
// a gate comes out the same. The steps are those nextSteps() would give now, for the packs whose step may
// differ from the one they were last given; the others' steps are unchanged (a wait or block step given again
// changes nothing). schedule.test.ts checks that against nextSteps() over random installs.
import { sameStage, type PackPhase, type PackStage } from '../status/index.js';
import { OPEN, combineGates, gateAfter, installStep, type Gate, type Step } from './scheduler.js';

/** A pack the schedule orders: what stays the same until the set of packs or their definitions change. */
export interface ScheduledPack {
  readonly name: string;
  readonly wave: number;
  /** Position in the cluster's install order. */
  readonly order: number;
}

/** What may change of a scheduled pack between two updates (see PackSnapshot). */
export interface ScheduledState {
  readonly phase: PackPhase;
  readonly started: boolean;
  readonly busy: boolean;
}

export interface ScheduleOptions {
  /** A pack's state now. */
  readonly state: (name: string) => ScheduledState;
  /**
   * The stage a pack waiting for `packs` shows now (the runner's waitingStage()). A phase change of a waited
   * pack gives the waiting packs a new step only when it changes that stage: behind a large wave the stage sums
   * up its phases, which most changes leave as they were.
   */
  readonly waitingStage: (packs: readonly string[]) => PackStage;
}

interface Entry extends ScheduledPack {
  /** Position in packGates()' order (wave, then install order): every predecessor comes earlier. */
  readonly rank: number;
  readonly group: Group;
  /** What its dependants see of it (gateAfter()). */
  passed: Gate;
}

/** The packs that have one predecessor list, and the gate it combines to. */
interface Group {
  readonly list: readonly string[];
  /** In rank order. */
  readonly members: Entry[];
  gate: Gate;
  /** A pack of `list` passes on a new gate: `gate` is combined again before a member is looked at. */
  stale: boolean;
  /** The waiting stage its members were last given (undefined: not known, or not waiting). */
  shown: PackStage | undefined;
  /** Every member was given a step in the last update: the first wait step carried out sets `shown`. */
  awaiting: boolean;
}

const NONE: readonly string[] = [];

export class Schedule {
  private from: ReadonlyMap<string, readonly string[]> | undefined;
  private entries = new Map<string, Entry>();
  /** The groups whose predecessor list names a pack: what is looked at again when it passes on a new gate. */
  private named = new Map<string, Group[]>();
  /**
   * The groups whose gate waits for a pack: their waiting stage names its phase. Nearly always one group (the
   * next wave's): held as it is, a Set only for several (a Set each for the 200 packs of a wave, made anew at
   * each change of the gate, was most of what scheduling allocated; issue 15).
   */
  private waitedBy = new Map<string, Group | Set<Group>>();

  constructor(private readonly options: ScheduleOptions) {}

  /** Whether it was built from these predecessor lists (PackSet keeps one map until its packs change). */
  builtFrom(predecessors: ReadonlyMap<string, readonly string[]>): boolean {
    return this.from === predecessors;
  }

  /**
   * Every active pack's step, from scratch: `active` in install order, `predecessors` what each waits for
   * directly (packs with equal lists sharing one array, as PackSet.predecessors() gives them).
   */
  rebuild(active: readonly ScheduledPack[], predecessors: ReadonlyMap<string, readonly string[]>): Step[] {
    this.from = predecessors;
    this.entries = new Map();
    this.named = new Map();
    this.waitedBy = new Map();
    const groups = new Map<readonly string[], Group>();
    // packGates()' order: by wave, install order within one (the sort is stable).
    const ordered = [...active].sort((a, b) => a.wave - b.wave);
    const all: Entry[] = [];
    ordered.forEach((pack, rank) => {
      const list = predecessors.get(pack.name) ?? NONE;
      let group = groups.get(list);
      if (group === undefined) {
        group = { list, members: [], gate: OPEN, stale: true, shown: undefined, awaiting: false };
        groups.set(list, group);
        for (const name of new Set(list)) {
          const named = this.named.get(name);
          if (named === undefined) this.named.set(name, [group]);
          else named.push(group);
        }
      }
      const entry: Entry = { name: pack.name, wave: pack.wave, order: pack.order, rank, group, passed: OPEN };
      group.members.push(entry);
      this.entries.set(pack.name, entry);
      all.push(entry);
    });
    return this.settle(all, new Set());
  }

  /**
   * The steps after the packs named in `changed` changed phase, started, or finished a task: theirs, and those
   * of the packs whose gate or waiting stage that changes. Call rebuild() instead when the packs changed.
   */
  update(changed: Iterable<string>): Step[] {
    const start: Entry[] = [];
    const restage = new Set<Group>();
    for (const name of changed) {
      const entry = this.entries.get(name);
      if (entry === undefined) continue;
      start.push(entry);
      for (const group of groupsOf(this.waitedBy.get(name))) restage.add(group);
    }
    return this.settle(start, restage);
  }

  /**
   * The wait steps of the packs waiting for any of `packs`, which this reconcile starts: carried out after the
   * starts, their stage shows the phases those give (as when every gray pack was given its step each time).
   */
  waitingOn(packs: readonly string[]): Step[] {
    const groups = new Set<Group>();
    for (const name of packs) for (const group of groupsOf(this.waitedBy.get(name))) groups.add(group);
    const steps: Step[] = [];
    for (const group of groups) {
      group.shown = undefined;
      group.awaiting = true;
      for (const member of group.members) {
        const step = installStep({ name: member.name, ...this.options.state(member.name) }, group.gate);
        if (step?.type === 'wait') steps.push(step);
      }
    }
    return steps;
  }

  /** The runner carried out a wait step, giving `stage`: see Group.shown. */
  shown(step: Extract<Step, { type: 'wait' }>, stage: PackStage): void {
    const group = this.entries.get(step.pack)?.group;
    if (group === undefined || !group.awaiting || group.gate.type !== 'waiting') return;
    if (group.gate.packs !== step.for) return;
    group.awaiting = false;
    group.shown = stage;
  }

  /**
   * Looks at `start` and whatever that reaches, in rank order (predecessors first, as packGates() does), and
   * gives the steps of the packs it looked at, in install order.
   */
  private settle(start: readonly Entry[], restage: ReadonlySet<Group>): Step[] {
    const queue = new RankQueue();
    for (const entry of start) queue.push(entry);
    for (const group of restage) {
      if (group.gate.type !== 'waiting') continue;
      const stage = this.options.waitingStage(group.gate.packs);
      if (group.shown !== undefined && sameStage(stage, group.shown)) continue;
      for (const member of group.members) queue.push(member);
    }
    const looked: Entry[] = [];
    for (let entry = queue.pop(); entry !== undefined; entry = queue.pop()) {
      looked.push(entry);
      const group = entry.group;
      if (group.stale) this.combine(group, queue);
      const passed = gateAfter(
        { name: entry.name, wave: entry.wave, phase: this.options.state(entry.name).phase },
        group.gate,
      );
      if (sameGate(passed, entry.passed)) continue;
      entry.passed = passed;
      for (const dependants of this.named.get(entry.name) ?? []) {
        if (dependants.stale) continue;
        dependants.stale = true;
        // Its gate is combined again when its first member comes up; if it changes, every member follows.
        const first = dependants.members[0];
        if (first !== undefined) queue.push(first);
      }
    }
    looked.sort((a, b) => a.order - b.order);
    const steps: Step[] = [];
    const lookedAt = new Map<Group, number>();
    for (const entry of looked) {
      const group = entry.group;
      lookedAt.set(group, (lookedAt.get(group) ?? 0) + 1);
      const step = installStep({ name: entry.name, ...this.options.state(entry.name) }, group.gate);
      if (step !== undefined) steps.push(step);
    }
    // What the members are given now is known as the steps are carried out (shown()): a start among them may
    // change a waited pack's phase first. Only when every member is given it is it what they all show.
    for (const [group, count] of lookedAt) {
      group.shown = undefined;
      group.awaiting = count === group.members.length;
    }
    return steps;
  }

  /** Combines a group's gate again from what its list's packs pass on; a new gate reaches every member. */
  private combine(group: Group, queue: RankQueue): void {
    group.stale = false;
    const gate = combineGates(group.list.map((name) => this.entries.get(name)?.passed ?? OPEN));
    if (sameGate(gate, group.gate)) return;
    if (group.gate.type === 'waiting')
      for (const name of group.gate.packs) {
        const groups = this.waitedBy.get(name);
        // Not kept empty: every pack is waited for once, and would hold an entry for as long as the runner runs.
        if (groups === group) this.waitedBy.delete(name);
        else if (groups instanceof Set) {
          groups.delete(group);
          if (groups.size === 0) this.waitedBy.delete(name);
        }
      }
    if (gate.type === 'waiting')
      for (const name of gate.packs) {
        const groups = this.waitedBy.get(name);
        if (groups === undefined) this.waitedBy.set(name, group);
        else if (groups instanceof Set) groups.add(group);
        else if (groups !== group) this.waitedBy.set(name, new Set([groups, group]));
      }
    // Still waiting, and for packs that make the stage its members show already (behind a large wave, one of
    // its packs turning green changes the list, rarely the stage): a wait step would change nothing for them.
    const unchanged =
      group.gate.type === 'waiting' &&
      gate.type === 'waiting' &&
      group.shown !== undefined &&
      sameStage(this.options.waitingStage(gate.packs), group.shown);
    group.gate = gate;
    if (unchanged) return;
    group.shown = undefined;
    for (const member of group.members) queue.push(member);
  }
}

const NO_GROUPS: readonly Group[] = [];

/** The groups a waitedBy entry holds. */
function groupsOf(entry: Group | Set<Group> | undefined): Iterable<Group> {
  if (entry === undefined) return NO_GROUPS;
  return entry instanceof Set ? entry : [entry];
}

function sameGate(a: Gate, b: Gate): boolean {
  if (a === b) return true;
  if (a.type === 'open' || b.type === 'open') return a.type === b.type;
  if (a.type === 'blocked' || b.type === 'blocked')
    return a.type === 'blocked' && b.type === 'blocked' && a.by === b.by;
  return a.wave === b.wave && a.packs.length === b.packs.length && a.packs.every((p, i) => p === b.packs[i]);
}

/**
 * Entries by rank (a binary heap), each taken once: nothing pushed after an entry is taken can change its step,
 * since what reaches it comes from lower ranks, all taken before it.
 */
class RankQueue {
  private readonly heap: Entry[] = [];
  private readonly seen = new Set<Entry>();

  push(entry: Entry): void {
    if (this.seen.has(entry)) return;
    this.seen.add(entry);
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent];
      if (above === undefined || above.rank <= entry.rank) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = entry;
  }

  pop(): Entry | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const leftEntry = heap[left];
      const rightEntry = heap[right];
      if (leftEntry === undefined) break;
      const child = rightEntry !== undefined && rightEntry.rank < leftEntry.rank ? right : left;
      const smaller = heap[child];
      if (smaller === undefined || smaller.rank >= last.rank) break;
      heap[i] = smaller;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
