// Whether each pack may start, as a pure function of the packs the runner runs and their colours. A pack waits
// for what predecessors() names (its add-on profile's earlier waves or the infra layers, and its dependsOn);
// waiting is transitive, so one pass in install order settles every pack without comparing each with all.
import { predecessors, type OrderedPack } from '../profile/index.js';
import { PackPhase } from '../status/index.js';

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

/** Each pack's gate. `packs` may come in any order; waves put every predecessor first. */
export function packGates(packs: readonly GatedPack[]): Map<string, Gate> {
  const ordered = [...packs].sort((a, b) => a.wave - b.wave);
  const waitsFor = predecessors(ordered);
  /** What each pack's dependents see. */
  const passed = new Map<string, Gate>();
  const gates = new Map<string, Gate>();
  for (const pack of ordered) {
    const gate = combineGates((waitsFor.get(pack.name) ?? []).map((name) => passed.get(name) ?? OPEN));
    gates.set(pack.name, gate);
    passed.set(pack.name, gateAfter(pack, gate));
  }
  return gates;
}

/** Blocked wins (the first red pack found); otherwise the latest wave still waited for. */
function combineGates(gates: readonly Gate[]): Gate {
  let waiting: Extract<Gate, { type: 'waiting' }> | undefined;
  for (const gate of gates) {
    if (gate.type === 'blocked') return gate;
    if (gate.type !== 'waiting') continue;
    if (waiting === undefined || gate.wave > waiting.wave) waiting = gate;
    else if (gate.wave === waiting.wave)
      waiting = { ...waiting, packs: [...new Set([...waiting.packs, ...gate.packs])] };
  }
  return waiting ?? OPEN;
}

/**
 * What a pack's dependents see: blocked by it when it is red, by what blocks it, or waiting for it until it
 * is green. A green pack passes on what it waits for itself, so everything earlier must still be green (a
 * pack that turned red after its dependents' predecessors went green still blocks them).
 */
function gateAfter(pack: GatedPack, own: Gate): Gate {
  if (pack.phase === PackPhase.Failed) return { type: 'blocked', by: pack.name };
  if (own.type === 'blocked') return own;
  if (pack.phase !== PackPhase.Success)
    return combineGates([own, { type: 'waiting', wave: pack.wave, packs: [pack.name] }]);
  return own;
}
