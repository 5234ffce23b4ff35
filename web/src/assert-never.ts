/** Ends every switch over a discriminated union (style.md rule 2): a new case fails the build here. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
