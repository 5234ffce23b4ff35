import { describe, expect, it } from 'vitest';
import type { ObjectRef } from '../shared/refs.js';
import { EvaluationTurn, EvaluationTurns } from './evaluation-turns.js';

const ref = (name: string): ObjectRef => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  namespace: 'a',
  name,
});

/** Turns driven by hand: each evaluation takes `costMs` of a fake clock; `turn()` runs the next turn. */
function harness(costMs: number) {
  let now = 0;
  const pending: (() => void)[] = [];
  const judged: string[] = [];
  let laterCalls = 0;
  const turn = new EvaluationTurn({ budgetMs: 20, clock: () => now, nextTurn: (run) => pending.push(run) });
  const turns = new EvaluationTurns<string>({
    turn,
    evaluate: (pack, r, later) => {
      now += costMs;
      judged.push(`${pack}/${r.name}${later ? ' (later)' : ''}`);
    },
    judgedLater: () => {
      laterCalls++;
    },
  });
  return {
    turns,
    judged,
    laterCalls: () => laterCalls,
    turn: () => {
      const run = pending.shift();
      run?.();
      return run !== undefined;
    },
  };
}

describe('EvaluationTurns', () => {
  it('judges at once while the budget lasts, then one pack after another on later turns', () => {
    const h = harness(10);
    for (const name of ['a1', 'a2', 'a3', 'a4', 'a5']) h.turns.submit('a', name, ref(name));
    h.turns.submit('b', 'b1', ref('b1'));
    // 20 ms of budget: two at once, the rest queued.
    expect(h.judged).toEqual(['a/a1', 'a/a2']);
    expect(h.turns.queued('a')).toBe(3);
    expect(h.turn()).toBe(true);
    // The next turn takes one of each pack in turn, so b does not wait behind all of a.
    expect(h.judged.slice(2)).toEqual(['a/a3 (later)', 'b/b1 (later)']);
    expect(h.laterCalls()).toBe(1);
    expect(h.turn()).toBe(true);
    expect(h.judged.slice(4)).toEqual(['a/a4 (later)', 'a/a5 (later)']);
    expect(h.turns.queued('a')).toBe(0);
  });

  it('judges an object queued twice once, and drops what a gone pack had queued', () => {
    const h = harness(25);
    h.turns.submit('a', 'x', ref('x'));
    h.turns.submit('a', 'y', ref('y'));
    h.turns.submit('a', 'y', ref('y'));
    h.turns.submit('b', 'z', ref('z'));
    h.turns.forget('b');
    expect(h.turns.queued('a')).toBe(1);
    h.turn();
    expect(h.judged).toEqual(['a/x', 'a/y (later)']);
    h.turns.stop();
    h.turns.submit('a', 'w', ref('w'));
    while (h.turn());
    expect(h.judged).toEqual(['a/x', 'a/y (later)']);
  });

  it('renews the budget each turn: cheap evaluations are never queued', () => {
    const h = harness(1);
    for (let t = 0; t < 5; t++) {
      for (let i = 0; i < 10; i++) h.turns.submit('a', `o${i}`, ref(`o${i}`));
      h.turn();
    }
    expect(h.judged).toHaveLength(50);
    expect(h.judged.every((j) => !j.includes('later'))).toBe(true);
  });
});

describe('EvaluationTurn', () => {
  it("is one budget for every runner's evaluations, not one each (review 15, item 2)", () => {
    let now = 0;
    const pending: (() => void)[] = [];
    const turn = new EvaluationTurn({ budgetMs: 20, clock: () => now, nextTurn: (run) => pending.push(run) });
    const judged: string[] = [];
    const runners = ['c1', 'c2', 'c3'].map(
      (cluster) =>
        new EvaluationTurns<string>({
          turn,
          evaluate: (pack, r, later) => {
            now += 10;
            judged.push(`${cluster}/${pack}/${r.name}${later ? ' (later)' : ''}`);
          },
          judgedLater: () => undefined,
        }),
    );
    // Each cluster's runner has two objects to judge at once: 60 ms in all, 20 ms in this turn.
    for (const [i, runner] of runners.entries()) {
      runner.submit('p', 'x', ref(`x${String(i)}`));
      runner.submit('p', 'y', ref(`y${String(i)}`));
    }
    expect(judged).toEqual(['c1/p/x0', 'c1/p/y0']);
    // Later turns: 20 ms each, the waiting runners one after another.
    pending.shift()?.();
    expect(judged.slice(2)).toEqual(['c2/p/x1 (later)', 'c2/p/y1 (later)']);
    pending.shift()?.();
    expect(judged.slice(4)).toEqual(['c3/p/x2 (later)', 'c3/p/y2 (later)']);
    expect(runners.map((r) => r.queued('p'))).toEqual([0, 0, 0]);
  });
});
