/** Exhaustiveness guard for switches over discriminated unions (style.md rule 2). */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
