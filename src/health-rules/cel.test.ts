import { describe, expect, it } from 'vitest';
import { CelOutcomeKind, CelResultType, compileExpression, issueAt } from './cel.js';

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
      message: 'stopped after 100000 loop iterations (cost limit)',
    });
    expect(performance.now() - started).toBeLessThan(5_000);
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
