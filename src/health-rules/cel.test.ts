import { describe, expect, it } from 'vitest';
import { CEL_DEADLINE_MS, CelOutcomeKind, CelResultType, compileExpression, issueAt } from './cel.js';

const bool = { resultType: CelResultType.Bool };

function issues(source: string) {
  const result = compileExpression(source, bool);
  return result.ok ? [] : result.issues;
}

function compiled(source: string, costLimit?: number) {
  const result = compileExpression(source, { ...bool, ...(costLimit === undefined ? {} : { costLimit }) });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.program;
}

describe('compileExpression', () => {
  it('positions a syntax error at the character the parser stopped at', () => {
    const result = compileExpression("status.phase == 'Running' )", bool);
    expect(result).toMatchObject({ ok: false, issues: [{ offset: 26, line: 1, column: 27 }] });
    if (!result.ok) expect(result.issues[0]?.message).toMatch(/^syntax error: found \)/);
  });

  it('names an undeclared variable where it is used (a typo of status)', () => {
    const [issue, ...more] = issues("status.ready == true && sttaus.phase == 'x'");
    expect(more).toEqual([]);
    expect(issue).toMatchObject({ offset: 24, column: 25 });
    expect(issue?.message).toMatch(/undeclared reference to 'sttaus'/);
  });

  it('allows comprehension variables inside their macro and not outside it', () => {
    expect(compileExpression("status.conditions.exists(c, c.type == 'Ready')", bool).ok).toBe(true);
    const outside = issues("status.conditions.exists(c, c.type == 'Ready') && c.status == 'x'");
    expect(outside.map((i) => i.message)).toEqual([
      "undeclared reference to 'c' (the object's fields are self, apiVersion, kind, metadata, spec, status)",
    ]);
  });

  it('refuses unknown functions and results that can never be a bool', () => {
    expect(compileExpression('isReady(status)', bool)).toMatchObject({
      ok: false,
      issues: [{ message: "unknown function 'isReady'" }],
    });
    expect(compileExpression("'ready'", bool)).toMatchObject({
      ok: false,
      issues: [{ message: 'expression gives string, a rule needs bool' }],
    });
    expect(compileExpression('size(status.conditions)', bool)).toMatchObject({
      ok: false,
      issues: [{ message: 'expression gives int, a rule needs bool' }],
    });
    expect(compileExpression('status.message', { resultType: CelResultType.String }).ok).toBe(true);
  });

  it('lines and columns count from the start of the expression across newlines', () => {
    expect(issueAt('a &&\n  bogus', 7, 'x')).toEqual({ offset: 7, line: 2, column: 3, message: 'x' });
  });

  it('refuses empty and overlong expressions', () => {
    expect(compileExpression('  ', bool).ok).toBe(false);
    expect(issues(`true${' || true'.repeat(1000)}`).map((i) => i.message)).toEqual([
      'expression is longer than 4096 characters',
    ]);
  });
});

describe('evaluating a compiled expression', () => {
  it('gives the value over the object fields', () => {
    const program = compiled("status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')");
    expect(program.evaluate({ status: { conditions: [{ type: 'Ready', status: 'True' }] } })).toEqual({
      kind: CelOutcomeKind.Value,
      value: true,
    });
  });

  it('reports a field the object lacks as Missing, not as an error', () => {
    expect(compiled("status.phase == 'Running'").evaluate({ status: {} })).toMatchObject({
      kind: CelOutcomeKind.Missing,
    });
  });

  it('stops a runaway expression at the cost limit', () => {
    // 20^5 = 3.2 million iterations: would take seconds; the limit stops it after 100 000.
    const range = `[${Array.from({ length: 20 }, (_, i) => i).join(',')}]`;
    const source = `${range}.exists(a, ${range}.exists(b, ${range}.exists(c, ${range}.exists(d, ${range}.exists(e, a + b + c + d + e < 0)))))`;
    const started = performance.now();
    const outcome = compiled(source).evaluate({});
    expect(outcome).toEqual({
      kind: CelOutcomeKind.CostExceeded,
      message: 'stopped at the cost limit (100000 units: loop iterations, and data handled by calls)',
    });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('charges the data a call handles: a megabyte field concatenated and searched in a loop is stopped at once', () => {
    // Found in review: 900 iterations of this stalled the hub 9 s when only loop iterations were counted.
    const source = 'spec.l.exists(x, spec.l.exists(y, (spec.s + spec.s + spec.s + spec.s).contains("b")))';
    const object = { spec: { s: 'a'.repeat(1_000_000), l: Array.from({ length: 316 }, (_, i) => i) } };
    const started = performance.now();
    expect(compiled(source).evaluate(object)).toMatchObject({ kind: CelOutcomeKind.CostExceeded });
    expect(performance.now() - started).toBeLessThan(2_000);
    // A deep comparison is charged for the whole tree, not for the one key holding it.
    const deep = compiled('spec.l.all(x, {"a": spec.big} == {"a": spec.big})');
    const big = Array.from({ length: 20_000 }, (_, i) => ({ name: `item-${i}` }));
    expect(deep.evaluate({ spec: { l: Array.from({ length: 1000 }, () => 0), big } })).toMatchObject({
      kind: CelOutcomeKind.CostExceeded,
    });
    // A pattern taken from the object is data too.
    const pattern = compiled('spec.l.all(x, "abc".matches(spec.s))');
    expect(
      pattern.evaluate({ spec: { s: 'a?'.repeat(200_000), l: Array.from({ length: 100 }, () => 0) } }),
    ).toMatchObject({ kind: CelOutcomeKind.CostExceeded });
    // So is the text a pattern is matched against: a megabyte costs more than the budget.
    const text = compiled('spec.l.exists(x, spec.s.matches("[a-z]+[0-9]"))');
    expect(text.evaluate({ spec: { s: 'a'.repeat(1_000_000), l: [0, 1, 2, 3] } })).toMatchObject({
      kind: CelOutcomeKind.CostExceeded,
    });
    expect(performance.now() - started).toBeLessThan(4_000);
  });

  it('refuses a pattern whose counted repetitions make a huge program, before compiling it', () => {
    // 988 characters: compiling took 2 s and matching 4 KiB 255 s before the bound.
    const program = compiled(`spec.s.matches("${'[a-z]{1,1000}'.repeat(76)}")`);
    const started = performance.now();
    const outcome = program.evaluate({ spec: { s: 'abc' } });
    expect(outcome).toMatchObject({ kind: CelOutcomeKind.Error });
    expect(outcome.kind === CelOutcomeKind.Value ? '' : outcome.message).toContain('the limit is 1000');
    expect(performance.now() - started).toBeLessThan(1_000);
    const label = compiled('spec.s.matches("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")');
    expect(label.evaluate({ spec: { s: 'web-1' } })).toEqual({ kind: CelOutcomeKind.Value, value: true });
    expect(label.evaluate({ spec: { s: '-web' } })).toEqual({ kind: CelOutcomeKind.Value, value: false });
  });

  it('leaves ordinary rules far below the limit: conditions, maps over long lists, string checks', () => {
    const conditions = Array.from({ length: 20 }, (_, i) => ({
      type: i === 19 ? 'Ready' : `Cond${i}`,
      status: 'True',
      message: 'x'.repeat(500),
    }));
    const ready = compiled("status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')", 200);
    expect(ready.evaluate({ status: { conditions } })).toEqual({ kind: CelOutcomeKind.Value, value: true });
    const items = Array.from({ length: 5000 }, (_, i) => `replica-${i}`);
    const mapped = compiled("size(status.items.map(i, i + '-x')) == 5000");
    expect(mapped.evaluate({ status: { items } })).toEqual({ kind: CelOutcomeKind.Value, value: true });
    const phase = compiled("status.message.startsWith('ok') && status.phase == 'Ready'", 10);
    expect(phase.evaluate({ status: { message: `ok ${'y'.repeat(300)}`, phase: 'Ready' } })).toEqual({
      kind: CelOutcomeKind.Value,
      value: true,
    });
  });

  it(`stops any evaluation after ${CEL_DEADLINE_MS} ms of the event loop, whatever the count said`, () => {
    // Re-reading a 20,000-key map inside a loop over it: the review saw this run to the old 1 s deadline.
    const m = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${String(i)}`, i]));
    const program = compiled('self.spec.m.all(k, self.spec.m.exists(j, j == k))');
    const started = performance.now();
    const outcome = program.evaluate({ self: { spec: { m } }, spec: { m } });
    const took = performance.now() - started;
    expect(outcome.kind).toBe(CelOutcomeKind.CostExceeded);
    // The deadline plus a loop turn; the old deadline (1 s) could not pass this, a loaded machine has room.
    expect(took).toBeLessThan(900);
  });

  it('counts each evaluation on its own: a cheap expression is not stopped by earlier ones', () => {
    const program = compiled("status.items.all(i, i != 'x')", 10);
    const items = Array.from({ length: 8 }, () => 'y');
    for (let i = 0; i < 5; i++) {
      expect(program.evaluate({ status: { items } })).toEqual({ kind: CelOutcomeKind.Value, value: true });
    }
    expect(program.evaluate({ status: { items: [...items, ...items] } })).toMatchObject({
      kind: CelOutcomeKind.CostExceeded,
    });
  });

  it('reports a non-bool result at run time (dyn results cannot be checked before)', () => {
    expect(compiled('status.phase').evaluate({ status: { phase: 'Running' } })).toEqual({
      kind: CelOutcomeKind.Error,
      message: 'gave a string, not a bool',
    });
  });
});
