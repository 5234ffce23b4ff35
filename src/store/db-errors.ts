// Driver errors differ by backend: pg reports SQLSTATE codes (https://www.postgresql.org/docs/15/errcodes-appendix.html),
// better-sqlite3 reports extended result codes as strings (https://www.sqlite.org/rescode.html). Repositories
// only need to know which kind of constraint tripped.
export type ConstraintKind = 'unique' | 'foreign-key' | 'check' | 'not-null';

const postgresCodes: Readonly<Record<string, ConstraintKind>> = {
  '23505': 'unique',
  '23503': 'foreign-key',
  '23514': 'check',
  '23502': 'not-null',
};

const sqliteCodes: Readonly<Record<string, ConstraintKind>> = {
  SQLITE_CONSTRAINT_UNIQUE: 'unique',
  SQLITE_CONSTRAINT_PRIMARYKEY: 'unique',
  SQLITE_CONSTRAINT_FOREIGNKEY: 'foreign-key',
  SQLITE_CONSTRAINT_CHECK: 'check',
  SQLITE_CONSTRAINT_NOTNULL: 'not-null',
};

export function constraintKind(error: unknown): ConstraintKind | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = error.code;
  if (typeof code !== 'string') return undefined;
  return postgresCodes[code] ?? sqliteCodes[code];
}
