// Wave scheduling, one pure function over what the runner knows of its packs: which pack starts, which waits
// (and for what), which is blocked (and by which red pack), which is removed now. The runner only carries the
// steps out. Ordering rules (predecessors(), src/profile/plan.ts): the layers os → k8s → cni → csi → addon are one
// cluster-wide lane; each add-on profile is a lane of its own, linked to another only by an explicit dependsOn
// (issue 11, "Independent profiles"). A pack waits for its predecessors to be green; a red one blocks everything
// after it; removal runs the install order backwards. Waiting is transitive, so one pass in install order
// settles every pack without comparing each with all.
import { predecessors, type OrderedPack } from '../profile/index.js';
import { PackPhase } from '../status/index.js';

/** What the scheduler needs to know of one pack the runner runs. */
export interface PackSnapshot extends OrderedPack {
  readonly phase: PackPhase;
  /** Position in the cluster's install order (DesiredPack.order). */
  readonly order: number;
  /** No longer attached: to be removed. */
  readonly removing: boolean;
  /** Its current definition was started already (installing, or installed): nothing to decide for it. */
  readonly started: boolean;
  /** A task runs for it (an install of an older definition, or an uninstall): gray stages are not shown then. */
  readonly busy: boolean;
  /** Its uninstall runs, or waits for its next attempt (backoff): not started again. */
  readonly uninstalling: boolean;
}

/** What the runner does next for one pack. Packs with nothing to do get no step. */
export type Step =
  | { readonly type: 'start'; readonly pack: string }
  /** Gray: the nearest packs not green yet that it waits for (the latest wave among them). */
  | { readonly type: 'wait'; readonly pack: string; readonly for: readonly string[] }
  /** Gray: the earliest red pack it waits for, directly or through others. */
  | { readonly type: 'block'; readonly pack: string; readonly by: string }
  | { readonly type: 'uninstall'; readonly pack: string };

/**
 * The steps to take now: installs in install order, then removals in reverse install order. A removed pack goes
 * once no other removed pack needs it gone first (its own lane's later waves, or a dependsOn on it), so removals
 * of different add-on profiles do not wait for each other either; an active pack never waits for a removed one.
 */
export function nextSteps(snapshots: readonly PackSnapshot[], options: GateOptions = {}): Step[] {
  const byOrder = [...snapshots].sort((a, b) => a.order - b.order);
  const active = byOrder.filter((p) => !p.removing);
  const gates = packGates(active, options);
  const steps: Step[] = [];
  for (const pack of active) {
    const step = installStep(pack, gates.get(pack.name) ?? OPEN);
    if (step) steps.push(step);
  }
  steps.push(...removalSteps(byOrder.filter((p) => p.removing)));
  return steps;
}

/** What an active pack does next, given its gate: nothing once its definition started, or while a task runs. */
export function installStep(
  pack: Pick<PackSnapshot, 'name' | 'started' | 'busy'>,
  gate: Gate,
): Step | undefined {
  if (pack.started) return undefined;
  if (gate.type === 'open') return { type: 'start', pack: pack.name };
  if (pack.busy) return undefined;
  if (gate.type === 'blocked') return { type: 'block', pack: pack.name, by: gate.by };
  return { type: 'wait', pack: pack.name, for: gate.packs };
}

/**
 * The uninstalls to start, in reverse install order, of the packs being removed (`removing`, in install order).
 * They depend on those packs only: an active pack never waits for a removed one.
 */
export function removalSteps(removing: readonly PackSnapshot[]): Step[] {
  const needed = new Set([...predecessors(removing).values()].flat());
  const steps: Step[] = [];
  for (const pack of [...removing].reverse()) {
    if (needed.has(pack.name) || pack.uninstalling) continue;
    steps.push({ type: 'uninstall', pack: pack.name });
  }
  return steps;
}

export interface GatedPack extends OrderedPack {
  readonly phase: PackPhase;
}

/** What a pack waits on before it may start. Packs are named as in OrderedPack.name. */
export type Gate =
  | { readonly type: 'open' }
  /** A red pack it waits for, directly or through others: the earliest one. */
  | { readonly type: 'blocked'; readonly by: string }
  /** The nearest packs not green yet: those of the latest wave among them, once each. */
  | { readonly type: 'waiting'; readonly wave: number; readonly packs: readonly string[] };

export const OPEN: Gate = { type: 'open' };

export interface GateOptions {
  /**
   * predecessors() of the packs, when the caller keeps it between calls (it changes only with the set of packs).
   * Packs with equal lists should share one array: the gate of a list is then combined once, not once per pack
   * (every pack of a wave has the whole wave before as its list: issue 15, scheduling cost per phase change).
   */
  readonly predecessors?: ReadonlyMap<string, readonly string[]>;
}

/** Each pack's gate. `packs` may come in any order; waves put every predecessor first. */
export function packGates(packs: readonly GatedPack[], options: GateOptions = {}): Map<string, Gate> {
  const ordered = [...packs].sort((a, b) => a.wave - b.wave);
  const waitsFor = options.predecessors ?? predecessors(ordered);
  /** What each pack's dependents see. */
  const passed = new Map<string, Gate>();
  const gates = new Map<string, Gate>();
  const combined = new Map<readonly string[], Gate>();
  for (const pack of ordered) {
    const list = waitsFor.get(pack.name) ?? [];
    let gate = combined.get(list);
    if (gate === undefined) {
      gate = combineGates(list.map((name) => passed.get(name) ?? OPEN));
      combined.set(list, gate);
    }
    gates.set(pack.name, gate);
    passed.set(pack.name, gateAfter(pack, gate));
  }
  return gates;
}

/**
 * predecessors() with equal lists shared, for GateOptions.predecessors. predecessors() already gives the packs
 * of a wave one array; each distinct array is compared by its names once (not once per pack that has it), so
 * this stays linear in the packs.
 */
export function sharedPredecessors(packs: readonly OrderedPack[]): Map<string, readonly string[]> {
  const byNames = new Map<string, readonly string[]>();
  const byArray = new Map<readonly string[], readonly string[]>();
  const out = new Map<string, readonly string[]>();
  for (const [name, list] of predecessors(packs)) {
    let shared = byArray.get(list);
    if (shared === undefined) {
      const key = list.join('\n');
      shared = byNames.get(key) ?? list;
      byNames.set(key, shared);
      byArray.set(list, shared);
    }
    out.set(name, shared);
  }
  return out;
}

/**
 * Blocked wins (the first red pack found); otherwise the latest wave still waited for. The packs of that wave
 * are gathered in one set: a pack of a large wave has every pack of the wave before as a predecessor, and
 * copying the list so far for each of them made a reconcile cubic in a wave's size (issue 15).
 */
export function combineGates(gates: readonly Gate[]): Gate {
  let latest: Extract<Gate, { type: 'waiting' }> | undefined;
  let packs: Set<string> | undefined;
  for (const gate of gates) {
    if (gate.type === 'blocked') return gate;
    if (gate.type !== 'waiting') continue;
    if (latest === undefined || gate.wave > latest.wave) {
      latest = gate;
      packs = undefined;
    } else if (gate.wave === latest.wave && gate !== latest) {
      packs ??= new Set(latest.packs);
      for (const pack of gate.packs) packs.add(pack);
    }
  }
  if (latest === undefined) return OPEN;
  return packs === undefined || packs.size === latest.packs.length
    ? latest
    : { ...latest, packs: [...packs] };
}

/**
 * What a pack's dependents see: blocked by it when it is red, by what blocks it, or waiting for it until it
 * is green. A green pack passes on what it waits for itself, so everything earlier must still be green (a
 * pack that turned red after its dependents' predecessors went green still blocks them).
 */
export function gateAfter(pack: Pick<GatedPack, 'name' | 'phase' | 'wave'>, own: Gate): Gate {
  if (pack.phase === PackPhase.Failed) return { type: 'blocked', by: pack.name };
  if (own.type === 'blocked') return own;
  if (pack.phase !== PackPhase.Success)
    return combineGates([own, { type: 'waiting', wave: pack.wave, packs: [pack.name] }]);
  return own;
}
