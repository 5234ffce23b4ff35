import { createRequire } from 'node:module';
import type * as CelModule from '@bufbuild/cel';
import type { CelEnv } from '@bufbuild/cel';
import { RE2JS } from 're2js';
import { MAX_REGEX_SIZE, regexSize } from '../shared/regex-size.js';

// @bufbuild/cel (and the protobuf runtime under it, ~4 MiB of heap) is loaded when the first rule is
// compiled, not at startup: a hub whose packs have no CEL rule never needs it (issue 15: an idle hub under
// 80 MiB). require() of its CommonJS build keeps compileExpression synchronous; only this file uses it, so
// every CEL value is made and checked by the one copy.
let celModule: typeof CelModule | undefined;
function cel(): typeof CelModule {
  celModule ??= createRequire(import.meta.url)('@bufbuild/cel') as typeof CelModule;
  return celModule;
}

/**
 * CEL for health rules: the expressions see the object's top-level fields as variables (`status`, `spec`,
 * `metadata`, `apiVersion`, `kind`), as Flux's `healthCheckExprs` do, plus `self` for the whole object.
 * https://github.com/fluxcd/flux2/blob/main/rfcs/0009-custom-health-checks/README.md
 *
 * @bufbuild/cel parses and evaluates; its type checker is not public, so `compileExpression` checks what
 * can go wrong in a rule before it runs: unknown variables and functions, and a result that can never be a
 * bool (or a string, for `message`). Each issue carries its position in the expression.
 *
 * The evaluator has no cost limit, so the compiler adds one (Kubernetes bounds CEL the same way, by counting
 * cost at run time: https://kubernetes.io/docs/reference/using-api/cel/#resource-constraints). Every
 * comprehension's loop condition (`all`, `exists`, `map`, `filter`, …: the only way CEL repeats work) is
 * wrapped in a counting function (1 unit per iteration), and every argument of every call in another that
 * charges the data the call will handle: a string's or bytes' length (1 unit per {@link BYTES_PER_UNIT}), a
 * list's or map's size (8 units an element; the whole tree for equality and `in`, which compare deeply). So a rule that
 * concatenates or searches a megabyte field in a loop is stopped as surely as one that loops forever, before
 * the expensive call runs. Handing a value to a call costs a unit of its own, and a field or index read is
 * charged as a call handling the map or list it reads from (the evaluator wraps the map's plain data on every
 * read: time in its size). A wall-clock deadline backs all of it up.
 *
 * Rules run on the hub's event loop, once per watch event of each object they judge, so one object's
 * evaluation (all the expressions of its rule) shares one {@link CelMeter}: {@link DEFAULT_COST_LIMIT} units,
 * about 10 ms at most here, stopped at {@link DEADLINE_MS} whatever the count says. Loops over literal lists
 * can be costed before anything runs: {@link compileExpression} refuses an expression whose worst case over
 * them is past the limit, so such a rule is a positioned error at publish, not a pack stuck on it.
 */

export const CEL_VARIABLES = ['self', 'apiVersion', 'kind', 'metadata', 'spec', 'status'] as const;

/**
 * Cost units one object's evaluation may spend: loop iterations, field reads, and the values (and data) calls
 * handle (see the file comment). Measured on the 2-core dev machine, loaded (review 14, finding 3): the
 * costliest shapes per unit (bare nested loops) took up to ~3 µs a unit, most 0.3-1 µs, so 3 000 units are
 * about 10 ms at most; ordinary rules (a conditions list, a phase) spend tens of units.
 */
export const DEFAULT_COST_LIMIT = 3_000;

/** Characters, bytes or elements a call may handle for one unit of cost. */
export const BYTES_PER_UNIT = 64;

/**
 * What one list or map element costs a call, in units: comparing a condition (a map of a few strings) took
 * ~4 µs here, its 3 units (the element and its 2 entries) about what 3 loop iterations take.
 */
const ELEMENT_UNITS = 1;

/**
 * No object's evaluation runs longer than this, whatever its cost said: a backstop for work the count
 * misjudges. The cost limit is about 10 ms once the evaluator's code is warm; a rule's first runs, or a
 * loaded machine, took up to 5 times as long per unit here (a 100-item `map`: 2 ms warm, 11 ms cold), and a
 * legitimate rule must not flap to an error on them.
 */
export const DEADLINE_MS = 50;

/** Expressions longer than this are refused before parsing (a rule is a line or two, not a program). */
export const MAX_EXPRESSION_LENGTH = 4096;

export const CelResultType = { Bool: 'bool', String: 'string' } as const;
export type CelResultType = (typeof CelResultType)[keyof typeof CelResultType];

/** A problem in one expression; `offset` is 0-based into the expression, `line`/`column` 1-based. */
export interface CelIssue {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface CelProgram {
  readonly source: string;
  readonly resultType: CelResultType;
  /**
   * Evaluates against one object's fields; never throws. Spends from `meter` when given (the expressions of
   * one rule judging one object share one), else from a meter of the program's own limit.
   */
  readonly evaluate: (bindings: Readonly<Record<string, unknown>>, meter?: CelMeter) => CelOutcome;
}

/** What an evaluation may still spend: units, and time until the deadline (`performance.now()` ms). */
export interface CelMeter {
  readonly limit: number;
  left: number;
  readonly deadline: number;
}

/** A fresh meter: `limit` units and {@link DEADLINE_MS} from now. */
export function celMeter(limit: number = DEFAULT_COST_LIMIT): CelMeter {
  return { limit, left: limit, deadline: performance.now() + DEADLINE_MS };
}

export const CelOutcomeKind = {
  Value: 'Value',
  /** A field the expression reads is absent (no status yet): the expression does not hold. */
  Missing: 'Missing',
  CostExceeded: 'CostExceeded',
  Error: 'Error',
} as const;
export type CelOutcomeKind = (typeof CelOutcomeKind)[keyof typeof CelOutcomeKind];

export type CelOutcome =
  | { readonly kind: typeof CelOutcomeKind.Value; readonly value: unknown }
  | { readonly kind: Exclude<CelOutcomeKind, 'Value'>; readonly message: string };

export type CompileResult =
  | { readonly ok: true; readonly program: CelProgram }
  | { readonly ok: false; readonly issues: readonly CelIssue[] };

const TICK = '__strata_cost__';
const CHARGE = '__strata_charge__';
const CHARGE_DEEP = '__strata_charge_deep__';
const instrumentation: ReadonlySet<string> = new Set([TICK, CHARGE, CHARGE_DEEP]);

class CostExceeded extends Error {
  constructor(readonly overTime: boolean) {
    super(overTime ? 'deadline' : 'cost');
  }
}

/**
 * Mutable, but only for the duration of one synchronous evaluation. `stopped` remembers why it was stopped:
 * some of the evaluator's calls turn what a function throws into a CEL error without its cause.
 */
const budget: { left: number; deadline: number; stopped: CostExceeded | undefined } = {
  left: 0,
  deadline: 0,
  stopped: undefined,
};

/** Why the evaluation under way was stopped, if it was (a function: the evaluator's calls set it). */
function stoppedBy(): CostExceeded | undefined {
  return budget.stopped;
}

function spend(units: number): void {
  budget.left -= units;
  if (budget.left < 0) throw (budget.stopped = new CostExceeded(false));
  if (performance.now() > budget.deadline) throw (budget.stopped = new CostExceeded(true));
}

/**
 * How much data a value is, in characters or bytes (an element counts as {@link BYTES_PER_UNIT}); `deep`
 * counts a list's or map's whole tree.
 * Counting stops past `cap` (what the budget has left), so measuring costs no more than the budget allows.
 */
function weight(value: unknown, deep: boolean, cap: number): number {
  if (typeof value === 'string') return value.length;
  if (value instanceof Uint8Array) return value.length;
  const list = cel().isCelList(value);
  if (!list && !cel().isCelMap(value)) return 0;
  // An element costs {@link ELEMENT_UNITS} on its own (wrapped from the object's plain data by the evaluator:
  // microseconds), a character a few nanoseconds.
  if (!deep) return value.size * ELEMENT_UNITS * BYTES_PER_UNIT;
  let total = value.size * ELEMENT_UNITS * BYTES_PER_UNIT;
  for (const item of value.values()) {
    if (total > cap) break;
    total += weight(item, true, cap - total);
  }
  return total;
}

function charge(value: unknown, deep: boolean): unknown {
  const cap = (budget.left + 1) * BYTES_PER_UNIT;
  // A unit for handing the value to the call at all, then its data.
  spend(1 + Math.floor(weight(value, deep, cap) / BYTES_PER_UNIT));
  return value;
}

/** Pattern → compiled program and its size, for `matches` (rules use a handful of constant patterns). */
const patterns = new Map<string, { readonly regex: RE2JS; readonly size: number }>();
const MAX_CACHED_PATTERNS = 256;

/**
 * `matches` on re2js with the program size bounded (src/shared/regex-size.ts) and its work charged: time per
 * input character grows with the program, so a match costs the text's length times the program's size, in
 * units of {@link MATCH_STEPS_PER_UNIT} (a program of 1000 matching 4 KiB took ~30 ms here: 64k units).
 */
const MATCH_STEPS_PER_UNIT = 64;
const boundedRe2 = {
  compile(pattern: string) {
    let entry = patterns.get(pattern);
    if (entry === undefined) {
      spend(Math.ceil(pattern.length / 8));
      const size = regexSize(pattern);
      if (size > MAX_REGEX_SIZE) {
        throw new Error(
          `matches: the pattern's repetitions expand to about ${size} steps; the limit is ${MAX_REGEX_SIZE}`,
        );
      }
      entry = { regex: RE2JS.compile(pattern), size };
      if (patterns.size >= MAX_CACHED_PATTERNS) patterns.clear();
      patterns.set(pattern, entry);
    }
    const { regex, size } = entry;
    return {
      test(text: string): boolean {
        spend(Math.ceil((text.length * Math.max(size, 1)) / MATCH_STEPS_PER_UNIT));
        return regex.matcher(text).find();
      },
    };
  },
};

let env: CelEnv | undefined;
function celEnvironment(): CelEnv {
  if (env !== undefined) return env;
  const { celEnv, celFunc, CelScalar } = cel();
  env = celEnv({
    re2: boundedRe2,
    variables: Object.fromEntries(CEL_VARIABLES.map((v) => [v, CelScalar.DYN])),
    funcs: [
      celFunc(TICK, [CelScalar.BOOL], CelScalar.BOOL, (condition) => {
        spend(1);
        return condition;
      }),
      celFunc(CHARGE, [CelScalar.DYN], CelScalar.DYN, (value) => charge(value, false) as typeof value),
      celFunc(CHARGE_DEEP, [CelScalar.DYN], CelScalar.DYN, (value) => charge(value, true) as typeof value),
    ],
  });
  return env;
}

/** Calls that compare their arguments' whole trees: charged for all of it. */
const deepCalls: ReadonlySet<string> = new Set(['_==_', '_!=_', '@in']);

/** Functions the planner implements itself rather than through the function table. */
const plannerFunctions: ReadonlySet<string> = new Set([
  '_[_]',
  '_[?_]',
  '_?._',
  '_?_:_',
  '_&&_',
  '_||_',
  '@not_strictly_false',
  '__not_strictly_false__',
]);

/** Reads of a map or list by key or index (and optional field reads): charged for the container. */
const indexFunctions: ReadonlySet<string> = new Set(['_[_]', '_[?_]', '_?._']);

/** What the static check can tell of a sub-expression's type; `dyn` when it depends on the object. */
type Inferred = 'bool' | 'int' | 'uint' | 'double' | 'string' | 'bytes' | 'null' | 'list' | 'map' | 'dyn';

export function compileExpression(
  source: string,
  options: {
    resultType: CelResultType;
    costLimit?: number;
    /**
     * Refuse an expression whose loops over literal lists can cost more than the limit (default). Off for
     * rules stored before the estimate existed: they still run, and the meter stops them with a reason.
     */
    estimateCost?: boolean;
  },
): CompileResult {
  if (source.trim() === '') return fail(source, 0, 'expression is empty');
  if (source.length > MAX_EXPRESSION_LENGTH) {
    return fail(
      source,
      MAX_EXPRESSION_LENGTH,
      `expression is longer than ${MAX_EXPRESSION_LENGTH} characters`,
    );
  }
  let parsed: ReturnType<typeof CelModule.parse>;
  try {
    parsed = cel().parse(source);
  } catch (error) {
    const location = (error as { location?: { start?: { offset?: number } } }).location;
    const raw = (error as { rawMessage?: unknown }).rawMessage;
    const message = typeof raw === 'string' ? raw : error instanceof Error ? error.message : 'syntax error';
    return fail(source, location?.start?.offset ?? 0, `syntax error: ${message}`);
  }
  const positions = parsed.sourceInfo?.positions ?? {};
  const issues: CelIssue[] = [];
  const at = (id: bigint, message: string) => {
    issues.push(issueAt(source, positions[String(id)] ?? 0, message));
  };
  const type = check(parsed.expr, new Set(CEL_VARIABLES), at);
  if (issues.length === 0 && type !== 'dyn' && type !== options.resultType) {
    at(parsed.expr.id, `expression gives ${type}, a rule needs ${options.resultType}`);
  }
  if (issues.length > 0) return { ok: false, issues };

  const limit = options.costLimit ?? DEFAULT_COST_LIMIT;
  if (options.estimateCost !== false) {
    const worst = worstCase(parsed.expr);
    if (worst > limit) {
      at(
        parsed.expr.id,
        `the expression's loops over literal lists cost up to ${worst > 1e12 ? 'over 10^12' : Math.ceil(worst)} units, past the limit of ${limit} (health rules run on every change of every object they judge)`,
      );
      return { ok: false, issues };
    }
  }
  instrument(parsed.expr);
  const run = cel().plan(celEnvironment(), parsed);
  const resultType = options.resultType;
  const evaluate = (bindings: Readonly<Record<string, unknown>>, given?: CelMeter): CelOutcome => {
    const meter = given ?? celMeter(limit);
    budget.left = meter.left;
    budget.deadline = meter.deadline;
    budget.stopped = undefined;
    let value: unknown;
    try {
      value = run(bindings as Parameters<typeof run>[0]);
    } catch (error) {
      return errorOutcome(stoppedBy() ?? error, meter);
    } finally {
      meter.left = budget.left;
    }
    const stopped = stoppedBy();
    if (stopped !== undefined || cel().isCelError(value)) return errorOutcome(stopped ?? value, meter);
    if (resultType === CelResultType.Bool && typeof value !== 'boolean') {
      return { kind: CelOutcomeKind.Error, message: `gave ${describeValue(value)}, not a bool` };
    }
    if (resultType === CelResultType.String && typeof value !== 'string') {
      return { kind: CelOutcomeKind.Error, message: `gave ${describeValue(value)}, not a string` };
    }
    return { kind: CelOutcomeKind.Value, value };
  };
  return { ok: true, program: { source, resultType, evaluate } };
}

function errorOutcome(error: unknown, meter: CelMeter): CelOutcome {
  const causes: unknown[] = [];
  for (let e: unknown = error; e !== undefined && causes.length < 5;) {
    causes.push(e);
    e = e instanceof Error ? e.cause : undefined;
  }
  const exceeded = causes.find((e) => e instanceof CostExceeded);
  if (exceeded !== undefined) {
    return {
      kind: CelOutcomeKind.CostExceeded,
      message: exceeded.overTime
        ? `exceeded its time limit (${DEADLINE_MS} ms)`
        : `exceeded its cost limit (${meter.limit} units: loop iterations, field reads, and calls with the data they handle)`,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/^(field not found|no such key|no such attribute)/.test(message)) {
    return { kind: CelOutcomeKind.Missing, message };
  }
  return { kind: CelOutcomeKind.Error, message };
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint' || typeof value === 'number') return `a number (${String(value)})`;
  if (cel().isCelList(value)) return 'a list';
  if (cel().isCelMap(value)) return 'a map';
  return typeof value === 'string' ? `a string` : typeof value;
}

function fail(source: string, offset: number, message: string): CompileResult {
  return { ok: false, issues: [issueAt(source, offset, message)] };
}

export function issueAt(source: string, offset: number, message: string): CelIssue {
  const clamped = Math.max(0, Math.min(offset, source.length));
  const before = source.slice(0, clamped);
  const line = before.split('\n').length;
  const column = clamped - before.lastIndexOf('\n');
  return { offset: clamped, line, column, message };
}

// The parsed tree is a protobuf message (cel.expr.Expr); only the parts the check reads are typed here.
interface Expr {
  id: bigint;
  exprKind:
    | { case: 'identExpr'; value: { name: string } }
    | { case: 'constExpr'; value: { constantKind: { case: string | undefined } } }
    | { case: 'selectExpr'; value: { operand?: Expr; field: string; testOnly: boolean } }
    | { case: 'callExpr'; value: { function: string; target?: Expr; args: Expr[] } }
    | { case: 'listExpr'; value: { elements: Expr[] } }
    | { case: 'structExpr'; value: { messageName: string; entries: { value?: Expr; mapKey?: Expr }[] } }
    | { case: 'comprehensionExpr'; value: Comprehension }
    | { case: undefined; value?: undefined };
}

interface Comprehension {
  iterVar: string;
  iterVar2: string;
  accuVar: string;
  iterRange?: Expr;
  accuInit?: Expr;
  loopCondition?: Expr;
  loopStep?: Expr;
  result?: Expr;
}

const constTypes: Readonly<Record<string, Inferred>> = {
  boolValue: 'bool',
  int64Value: 'int',
  uint64Value: 'uint',
  doubleValue: 'double',
  stringValue: 'string',
  bytesValue: 'bytes',
  nullValue: 'null',
};

function check(
  expr: Expr | undefined,
  scope: ReadonlySet<string>,
  at: (id: bigint, message: string) => void,
): Inferred {
  if (expr === undefined) return 'dyn';
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'identExpr':
      if (!scope.has(kind.value.name)) {
        at(
          expr.id,
          `undeclared reference to '${kind.value.name}' (the object's fields are ${CEL_VARIABLES.join(', ')})`,
        );
      }
      return 'dyn';
    case 'constExpr':
      return constTypes[kind.value.constantKind.case ?? ''] ?? 'dyn';
    case 'selectExpr':
      check(kind.value.operand, scope, at);
      return kind.value.testOnly ? 'bool' : 'dyn';
    case 'listExpr':
      for (const e of kind.value.elements) check(e, scope, at);
      return 'list';
    case 'structExpr':
      for (const entry of kind.value.entries) {
        check(entry.mapKey, scope, at);
        check(entry.value, scope, at);
      }
      if (kind.value.messageName !== '') {
        at(expr.id, `message types are not available in health rules (${kind.value.messageName})`);
      }
      return 'map';
    case 'comprehensionExpr': {
      const c = kind.value;
      check(c.iterRange, scope, at);
      check(c.accuInit, scope, at);
      const inner = new Set([...scope, c.iterVar, c.accuVar, ...(c.iterVar2 ? [c.iterVar2] : [])]);
      check(c.loopCondition, inner, at);
      check(c.loopStep, inner, at);
      return check(c.result, new Set([...scope, c.accuVar]), at);
    }
    case 'callExpr': {
      const call = kind.value;
      if (instrumentation.has(call.function)) at(expr.id, `unknown function '${call.function}'`);
      const argTypes = call.args.map((a) => check(a, scope, at));
      if (call.target) check(call.target, scope, at);
      if (call.function === '_&&_' || call.function === '_||_') return 'bool';
      if (call.function === '_?_:_') return argTypes[1] === argTypes[2] ? (argTypes[1] ?? 'dyn') : 'dyn';
      if (plannerFunctions.has(call.function)) return 'dyn';
      const group = celEnvironment().funcs.find(call.function);
      if (group === undefined) {
        at(expr.id, `unknown function '${call.function}'`);
        return 'dyn';
      }
      const results = new Set([...group].map((f) => f.result.name));
      const [only] = results;
      return results.size === 1 && only !== undefined && isInferred(only) ? only : 'dyn';
    }
    case undefined:
      return 'dyn';
  }
}

function isInferred(name: string): name is Inferred {
  return ['bool', 'int', 'uint', 'double', 'string', 'bytes', 'null', 'list', 'map', 'dyn'].includes(name);
}

/** `fn(expr)` as a call node of the parsed tree, keeping the wrapped node's id (and so its position). */
function wrapped(fn: string, expr: Expr): Expr {
  return {
    $typeName: 'cel.expr.Expr',
    id: expr.id,
    exprKind: { case: 'callExpr', value: { $typeName: 'cel.expr.Expr.Call', function: fn, args: [expr] } },
  } as unknown as Expr;
}

/**
 * Wraps every comprehension's loop condition in the counting function and every call's arguments (and
 * target) in the charging one (see the file comment). A list's `+` is not charged: it concatenates lazily,
 * and a `map()` builds its result by one `+` per item.
 */
function instrument(expr: Expr | undefined): void {
  if (expr === undefined) return;
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'selectExpr':
      instrument(kind.value.operand);
      // Reading a field of a map wraps the field's plain data for the evaluator (a Map of its entries): time
      // in the map's size, so the read is charged as a call handling the map (review 14: `self.spec.big.k`
      // in a loop took ~0.7 ms an iteration for a 2000-key map, and counted one unit).
      if (kind.value.operand !== undefined) kind.value.operand = wrapped(CHARGE, kind.value.operand);
      return;
    case 'callExpr': {
      const call = kind.value;
      instrument(call.target);
      for (const a of call.args) instrument(a);
      if (instrumentation.has(call.function)) return;
      if (plannerFunctions.has(call.function)) {
        // An index or optional read handles the map or list it reads from, as a field read does.
        if (indexFunctions.has(call.function) && call.args[0] !== undefined) {
          call.args = [wrapped(CHARGE, call.args[0]), ...call.args.slice(1)];
        }
        return;
      }
      const fn = deepCalls.has(call.function) ? CHARGE_DEEP : CHARGE;
      if (call.function === '_+_' && call.args.some(isAccumulator)) return;
      if (call.target) call.target = wrapped(fn, call.target);
      call.args = call.args.map((a) => wrapped(fn, a));
      return;
    }
    case 'listExpr':
      for (const e of kind.value.elements) instrument(e);
      return;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        instrument(entry.mapKey);
        instrument(entry.value);
      }
      return;
    case 'comprehensionExpr': {
      const c = kind.value;
      for (const e of [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result]) instrument(e);
      if (c.loopCondition !== undefined) c.loopCondition = wrapped(TICK, c.loopCondition);
      // The range is charged as a call's argument: a map is wrapped (and its keys listed) before the loop.
      if (c.iterRange !== undefined && !isAccumulator(c.iterRange))
        c.iterRange = wrapped(CHARGE, c.iterRange);
      return;
    }
    case 'identExpr':
    case 'constExpr':
    case undefined:
      return;
  }
}

/** The accumulator a macro's expansion adds to (`__result__`, or `@result` in newer parsers). */
function isAccumulator(expr: Expr): boolean {
  return expr.exprKind.case === 'identExpr' && /^(__result__|@result)$/.test(expr.exprKind.value.name);
}

/**
 * The most the expression can cost, counting what is known before it runs: a loop over a literal list or map
 * repeats its body once per element, a loop over the object's data once (its length is known only at run
 * time, where the meter stops it), and each field read and call argument costs a unit, as they do at run time.
 * So the reviewer's ten-element lists nested five deep cost 10^5 iterations here, whatever the object.
 */
function worstCase(expr: Expr | undefined): number {
  if (expr === undefined) return 0;
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'selectExpr':
      return 1 + worstCase(kind.value.operand);
    case 'callExpr': {
      const call = kind.value;
      const args = call.args.reduce((sum, a) => sum + worstCase(a), worstCase(call.target));
      if (plannerFunctions.has(call.function)) return args + (indexFunctions.has(call.function) ? 1 : 0);
      if (call.function === '_+_' && call.args.some(isAccumulator)) return args;
      return args + call.args.length + (call.target === undefined ? 0 : 1);
    }
    case 'listExpr':
      return kind.value.elements.reduce((sum, e) => sum + worstCase(e), 0);
    case 'structExpr':
      return kind.value.entries.reduce((sum, e) => sum + worstCase(e.mapKey) + worstCase(e.value), 0);
    case 'comprehensionExpr': {
      const c = kind.value;
      const range = c.iterRange?.exprKind;
      const times =
        range?.case === 'listExpr'
          ? range.value.elements.length
          : range?.case === 'structExpr'
            ? range.value.entries.length
            : 1;
      const once = 1 + times + worstCase(c.iterRange) + worstCase(c.accuInit) + worstCase(c.result);
      return once + times * (1 + worstCase(c.loopCondition) + worstCase(c.loopStep));
    }
    case 'identExpr':
    case 'constExpr':
    case undefined:
      return 0;
  }
}
