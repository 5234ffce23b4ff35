// The benchmarks' one output contract: each figure a bench measures is printed as one stdout line
// `BENCH_RESULT {json}` (a BenchResult, or an array of them), which bench/run.ts collects into the suite's table
// and bench/results/latest.json. Benches print their own detail above it; only these lines are read.
export const RESULT_PREFIX = 'BENCH_RESULT ';

export const Verdict = { Pass: 'PASS', Fail: 'FAIL', Info: 'info', Error: 'ERROR' } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export interface BenchResult {
  /** What is measured, with its conditions: "SSE p99 delivery, 10,000 clients in 4 processes". */
  readonly figure: string;
  /** "< 250", "≤ 5", ">= 3000" (a comparison and a number in `unit`), or "-" for a figure with no target. */
  readonly target: string;
  readonly measured: number;
  readonly unit: string;
  /** Given when the target is not a plain comparison; otherwise derived from `target` by `verdictOf`. */
  readonly verdict?: Verdict;
}

const COMPARISON = /^\s*(<=|>=|≤|≥|<|>)\s*(-?[\d.,_]+)/;

/** PASS / FAIL from a target like "< 250" or "≥ 3,000"; `info` when the target is not a comparison. */
export function verdictOf(target: string, measured: number): Verdict {
  const match = COMPARISON.exec(target);
  if (match === null) return Verdict.Info;
  if (!Number.isFinite(measured)) return Verdict.Fail;
  const bound = Number((match[2] ?? '').replaceAll(/[,_]/g, ''));
  const pass = {
    '<': measured < bound,
    '>': measured > bound,
    '<=': measured <= bound,
    '≤': measured <= bound,
    '>=': measured >= bound,
    '≥': measured >= bound,
  }[match[1] ?? '<'];
  return pass === true ? Verdict.Pass : Verdict.Fail;
}

/** Prints one figure for bench/run.ts (and a reader of the output). */
export function reportResult(result: BenchResult): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/** The results on one line of output, or [] when the line is not a result line or its JSON is not one. */
export function parseResultLine(line: string): BenchResult[] {
  if (!line.startsWith(RESULT_PREFIX)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.slice(RESULT_PREFIX.length));
  } catch {
    return [];
  }
  const list: unknown[] = Array.isArray(parsed)
    ? parsed
    : typeof parsed === 'object' &&
        parsed !== null &&
        Array.isArray((parsed as { results?: unknown }).results)
      ? (parsed as { results: unknown[] }).results
      : [parsed];
  return list.flatMap((item) => {
    if (typeof item !== 'object' || item === null) return [];
    const r = item as Record<string, unknown>;
    if (typeof r.figure !== 'string') return [];
    const measured = typeof r.measured === 'number' ? r.measured : Number(r.measured);
    return [
      {
        figure: r.figure,
        target:
          typeof r.target === 'string'
            ? r.target
            : typeof r.target === 'number'
              ? `≤ ${String(r.target)}`
              : '-',
        measured,
        unit: typeof r.unit === 'string' ? r.unit : '',
        ...(typeof r.verdict === 'string' ? { verdict: r.verdict as Verdict } : {}),
      },
    ];
  });
}

/** The measured value for the table: 3 significant digits at most, the unit after it. */
export function formatMeasured(result: BenchResult): string {
  const { measured: n, unit } = result;
  if (!Number.isFinite(n)) return 'n/a';
  const text =
    Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : Number(n.toPrecision(3)).toString();
  return unit === '' ? text : `${text} ${unit}`;
}
