// Review 9, item 5: with a first-come queue, 3 viewer tokens × 4 health-rule tests filled the pool's 8 waiting
// places and every other user was refused BUSY.
import { describe, expect, it } from 'vitest';
import { FairWaiting, type WaitingOwner } from './fair-waiting.js';

const viewer = (key: string): WaitingOwner => ({ key, privileged: false });
const operator = (key: string): WaitingOwner => ({ key, privileged: true });

describe('FairWaiting', () => {
  it('takes a token that holds no place while 3 viewers × 4 jobs fill the queue, and refuses the viewers past their share', () => {
    const queue = new FairWaiting<string>(8);
    const refused: string[] = [];
    const evicted: string[] = [];
    for (let job = 0; job < 4; job++) {
      for (const token of ['v1', 'v2', 'v3']) {
        const admission = queue.push(viewer(token), `${token}#${job}`);
        if (!admission.admitted) refused.push(`${token}#${job}`);
        else if (admission.evicted) evicted.push(admission.evicted.item);
      }
    }
    // Each viewer holds its share (8 places between 3: 3, 3, 2), no more.
    expect(['v1', 'v2', 'v3'].map((t) => queue.held(t)).sort()).toEqual([2, 3, 3]);
    expect(refused.length + evicted.length).toBe(4);

    const another = queue.push(viewer('v4'), 'v4#0');
    expect(another).toMatchObject({ admitted: true, evicted: { owner: { privileged: false } } });
    const ops = queue.push(operator('op'), 'op#0');
    expect(ops).toMatchObject({ admitted: true });
    expect(queue.length).toBe(8);
    expect(queue.held('v4')).toBe(1);
    expect(queue.held('op')).toBe(1);
  });

  it("shares a part's own cap the same way: a token holding none of a full part takes the heaviest one's place", () => {
    // Review 11, item 4: validations hold at most half the queue; the cap was checked before the queue, so one
    // token holding that half refused every other token's validation although the queue had room.
    const queue = new FairWaiting<string>(4);
    const validations = { places: 2, match: (job: string) => job.startsWith('validate') };
    expect(queue.push(viewer('a'), 'validate-a1', validations)).toEqual({ admitted: true });
    expect(queue.push(viewer('a'), 'validate-a2', validations)).toEqual({ admitted: true });
    expect(queue.push(viewer('a'), 'import-a3', validations)).toEqual({ admitted: true });
    // The part is full and a holds it: a gets no more of it, b (holding none) takes a's newest validation.
    expect(queue.push(viewer('a'), 'validate-a4', validations)).toEqual({
      admitted: false,
      held: 2,
      overShare: true,
    });
    expect(queue.push(viewer('b'), 'validate-b1', validations)).toMatchObject({
      admitted: true,
      evicted: { item: 'validate-a2' },
    });
    expect(queue.count(validations.match)).toBe(2);
    expect(queue.held('a')).toBe(2);
  });

  it('takes a job out when its caller gives up, freeing its place', () => {
    const queue = new FairWaiting<string>(1);
    queue.push(viewer('a'), 'a1');
    expect(queue.push(viewer('a'), 'a2')).toEqual({ admitted: false, held: 1, overShare: true });
    expect(queue.remove('a1')).toBe(true);
    expect(queue.remove('a1')).toBe(false);
    expect(queue.push(viewer('a'), 'a2')).toEqual({ admitted: true });
  });

  it('gives a token with as many places as the others nothing more while the queue is full', () => {
    const queue = new FairWaiting<string>(4);
    for (const token of ['a', 'b', 'a', 'b']) queue.push(viewer(token), token);
    // Each at its share: the queue itself is full (503), not one token over its share (429).
    expect(queue.push(viewer('a'), 'a')).toEqual({ admitted: false, held: 2, overShare: false });
    expect(queue.push(viewer('b'), 'b')).toEqual({ admitted: false, held: 2, overShare: false });
  });

  it("evicts the holder's newest job, and an operator's job takes a viewer's place even at equal shares", () => {
    const queue = new FairWaiting<string>(2);
    queue.push(viewer('v'), 'v-old');
    queue.push(operator('op'), 'op-1');
    // op holds 1 and v holds 1: a viewer's place goes to the operator.
    expect(queue.push(operator('op'), 'op-2')).toMatchObject({ admitted: true, evicted: { item: 'v-old' } });
    // And a viewer with none takes one back from the operator holding two.
    expect(queue.push(viewer('v'), 'v-new')).toMatchObject({ admitted: true, evicted: { item: 'op-2' } });
  });

  it("starts an operator's job first, then round robin by the jobs each token has running, first come within", () => {
    const queue = new FairWaiting<string>(8);
    for (const [token, job] of [
      ['a', 'a1'],
      ['a', 'a2'],
      ['b', 'b1'],
      ['c', 'c1'],
    ] as const)
      queue.push(viewer(token), job);
    queue.push(operator('op'), 'op1');
    const running = new Map<string, number>([['a', 1]]);
    const order: string[] = [];
    for (;;) {
      const next = queue.take(
        () => true,
        (key) => running.get(key) ?? 0,
      );
      if (next === undefined) break;
      order.push(next.item);
      running.set(next.owner.key, (running.get(next.owner.key) ?? 0) + 1);
    }
    expect(order).toEqual(['op1', 'b1', 'c1', 'a1', 'a2']);
  });

  it('takes only what may start (a lane with no free thread is skipped)', () => {
    const queue = new FairWaiting<string>(4);
    queue.push(viewer('a'), 'validate');
    queue.push(viewer('b'), 'import');
    expect(
      queue.take(
        (item) => item === 'import',
        () => 0,
      )?.item,
    ).toBe('import');
    expect(
      queue.take(
        (item) => item === 'import',
        () => 0,
      ),
    ).toBeUndefined();
    expect(queue.length).toBe(1);
  });
});
