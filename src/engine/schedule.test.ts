import { describe, expect, it } from 'vitest';
import { PackPhase, type PackStage } from '../status/index.js';
import { Schedule, type ScheduledState } from './schedule.js';
import { nextSteps, sharedPredecessors, type PackSnapshot, type Step } from './scheduler.js';
import { waitingStage } from './waiting-stage.js';

const PHASES = Object.values(PackPhase);

/** A seeded random source (mulberry32), so a failing case can be run again. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Pack = Omit<PackSnapshot, 'phase' | 'started' | 'busy' | 'removing' | 'uninstalling'>;

/** Packs of a cluster lane (cni) and three add-on profiles in up to 5 waves, some with a dependsOn across. */
function cluster(rand: () => number, count: number): Pack[] {
  const drawn = Array.from({ length: count }, (_, i) => {
    const profile = ['base', 'a', 'b', 'c'][Math.floor(rand() * 4)] ?? 'a';
    return {
      name: `p${String(i)}`,
      profile,
      layer: profile === 'base' ? ('cni' as const) : ('addon' as const),
      wave: 1 + Math.floor(rand() * 5),
    };
  });
  const packs = drawn
    .sort((x, y) => x.wave - y.wave || (x.layer === y.layer ? 0 : x.layer === 'cni' ? -1 : 1))
    .map((p, order) => ({ ...p, order, dependsOn: [] as string[] }));
  for (const p of packs) {
    if (p.layer !== 'addon' || rand() > 0.2) continue;
    const earlier = packs.filter((q) => q.wave < p.wave && q.layer === 'addon' && q.profile !== p.profile);
    const on = earlier[Math.floor(rand() * earlier.length)];
    if (on) p.dependsOn.push(on.name);
  }
  return packs;
}

/** The stage a step gives a pack, as the runner builds it. */
function stageOf(
  step: Step,
  state: ReadonlyMap<string, ScheduledState>,
  waves: Map<string, number>,
): PackStage {
  if (step.type === 'block') return { type: 'Blocked', blockedBy: step.by };
  if (step.type !== 'wait') throw new Error(`no stage for ${step.type}`);
  return waitingStage(step.for, (name) => {
    const s = state.get(name);
    return s && { label: name, phase: s.phase, wave: waves.get(name) ?? 0 };
  });
}

describe('Schedule', () => {
  it('gives what nextSteps() gives over every pack, for the packs whose step may have changed', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = random(seed);
      const packs = cluster(rand, 5 + Math.floor(rand() * 40));
      const waves = new Map(packs.map((p) => [p.name, p.wave]));
      const state = new Map<string, ScheduledState>(
        packs.map((p) => [p.name, { phase: PackPhase.Onboarding, started: false, busy: false }]),
      );
      /** The stage each pack shows (what its last wait or block step gave it). */
      const shows = new Map<string, PackStage>();
      const schedule = new Schedule({
        state: (name) => state.get(name) ?? { phase: PackPhase.Onboarding, started: true, busy: false },
        waitingStage: (list) =>
          waitingStage(list, (name) => {
            const s = state.get(name);
            return s && { label: name, phase: s.phase, wave: waves.get(name) ?? 0 };
          }),
      });
      const predecessors = sharedPredecessors(packs);
      let steps = schedule.rebuild(packs, predecessors);
      for (let round = 0; round < 60; round++) {
        const snapshots = packs.map((p): PackSnapshot => ({
          ...p,
          ...(state.get(p.name) as ScheduledState),
          removing: false,
          uninstalling: false,
        }));
        const full = new Map(nextSteps(snapshots, { predecessors }).map((s) => [s.pack, s]));
        const context = `seed ${String(seed)}, round ${String(round)}`;
        // Each step given is the one nextSteps() gives that pack now.
        for (const step of steps) expect(step, context).toEqual(full.get(step.pack));
        // Carried out as the runner does: a start starts a task; a wait or block sets the stage.
        for (const step of steps) {
          const s = state.get(step.pack) as ScheduledState;
          if (step.type === 'start') state.set(step.pack, { ...s, started: true, busy: true });
          else if (step.type === 'wait' || step.type === 'block') {
            const stage = stageOf(step, state, waves);
            if (step.type === 'wait') schedule.shown(step, stage);
            shows.set(step.pack, stage);
          }
        }
        // Every step nextSteps() gives is given, or was given before with the same effect.
        const given = new Set(steps.filter((s) => s.type === 'start').map((s) => s.pack));
        for (const step of full.values()) {
          if (step.type === 'start')
            expect(given.has(step.pack), `${context}: start ${step.pack}`).toBe(true);
          else
            expect(shows.get(step.pack), `${context}: stage of ${step.pack}`).toEqual(
              stageOf(step, state, waves),
            );
        }
        // Changes: phases (green, red, back), a retry (started again), a task that ends.
        const changed = new Set<string>();
        const count = 1 + Math.floor(rand() * 3);
        for (let i = 0; i < count; i++) {
          const pack = packs[Math.floor(rand() * packs.length)];
          if (!pack) continue;
          const s = state.get(pack.name) as ScheduledState;
          const what = rand();
          if (what < 0.6)
            state.set(pack.name, { ...s, phase: PHASES[Math.floor(rand() * PHASES.length)] ?? s.phase });
          else if (what < 0.8) state.set(pack.name, { ...s, started: false, busy: rand() < 0.5 });
          else state.set(pack.name, { ...s, busy: false });
          changed.add(pack.name);
        }
        steps = schedule.update(changed);
      }
    }
  });

  it('carries a phase change to the packs that wait on it, not to every pack', () => {
    // 1,000 packs in 5 waves of one add-on profile, the first wave installing, the others waiting for the wave before.
    const packs = Array.from({ length: 1000 }, (_, i) => ({
      name: `p${String(i)}`,
      profile: 'apps',
      layer: 'addon' as const,
      wave: 1 + Math.floor(i / 200),
      order: i,
      dependsOn: [],
    }));
    const state = new Map<string, ScheduledState>(
      packs.map((p) => [p.name, { phase: PackPhase.Onboarding, started: p.wave === 1, busy: p.wave === 1 }]),
    );
    let looked = 0;
    const schedule = new Schedule({
      state: (name) => {
        looked++;
        return state.get(name) ?? { phase: PackPhase.Onboarding, started: true, busy: false };
      },
      waitingStage: (list) => ({ type: 'Waiting', waitingFor: [], wave: { wave: list.length, phases: [] } }),
    });
    const first = schedule.rebuild(packs, sharedPredecessors(packs));
    expect(first.filter((s) => s.type === 'wait')).toHaveLength(800);
    for (const step of first)
      if (step.type === 'wait')
        schedule.shown(step, { type: 'Waiting', waitingFor: [], wave: { wave: 200, phases: [] } });

    // One pack of the first wave turns green: the second wave waits for one pack less, the later ones as before.
    // What the schedule looks at: the pack, the second wave (twice at most), not the 600 packs after it.
    looked = 0;
    state.set('p7', { phase: PackPhase.Success, started: true, busy: false });
    const steps = schedule.update(['p7']);
    expect(steps).toHaveLength(200);
    expect(steps.every((s) => s.type === 'wait' && s.for.length === 199 && !s.for.includes('p7'))).toBe(true);
    expect(looked).toBeLessThan(2 * 200 + 10);
    for (const step of steps)
      if (step.type === 'wait')
        schedule.shown(step, { type: 'Waiting', waitingFor: [], wave: { wave: 199, phases: [] } });

    // Another one's phase changes without changing what the second wave shows: nothing to do.
    looked = 0;
    state.set('p8', { phase: PackPhase.Processing, started: true, busy: true });
    expect(schedule.update(['p8'])).toEqual([]);
    expect(looked).toBeLessThan(10);
  });
});
