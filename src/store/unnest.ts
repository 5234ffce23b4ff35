// PostgreSQL: many rows in a statement of one fixed text, one array parameter per column. A multi-row VALUES list
// binds a parameter per cell, so its text changes with the row count (one prepared statement per count) and it
// must be cut to stay under PostgreSQL's 65,535 bound parameters; `unnest` over arrays binds one per column
// whatever the row count (https://www.postgresql.org/docs/current/functions-array.html, unnest with several
// arrays, in FROM). What bounds a statement's bytes is the caller's business (pack-status: its parts).
import { sql, type RawBuilder } from 'kysely';

/** The column types used so far; each is cast as an array, so a parameter's type never depends on its values. */
export type ColumnType = 'text' | 'integer' | 'bigint';

/**
 * `unnest($1::text[], $2::integer[], …) [with ordinality] as alias(column, …[, ordinality])`: `rows` as a table,
 * in order (with `ordinality`, that column numbers them from 1). null and undefined values are NULL.
 */
export function unnestRows<R extends object, K extends keyof R & string>(
  rows: readonly R[],
  columns: Readonly<Record<K, ColumnType>>,
  alias: string,
  options: { readonly ordinality?: string } = {},
): RawBuilder<unknown> {
  const names = Object.keys(columns) as K[];
  const arrays = names.map(
    (name) => sql`${rows.map((row) => row[name] ?? null)}::${sql.raw(columns[name])}[]`,
  );
  const aliases = [...names, ...(options.ordinality === undefined ? [] : [options.ordinality])].map((name) =>
    sql.id(name),
  );
  return sql`unnest(${sql.join(arrays)})${options.ordinality === undefined ? sql`` : sql` with ordinality`} as ${sql.id(alias)}(${sql.join(aliases)})`;
}
