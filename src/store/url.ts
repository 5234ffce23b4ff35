import { fileURLToPath } from 'node:url';
import { StoreError, StoreErrorCode } from './errors.js';

export const Backend = { Sqlite: 'sqlite', Postgres: 'postgres' } as const;
export type Backend = (typeof Backend)[keyof typeof Backend];

export type DatabaseLocation =
  /** `path` is `:memory:` for a private in-memory database. */
  | { readonly backend: typeof Backend.Sqlite; readonly path: string }
  | { readonly backend: typeof Backend.Postgres; readonly url: string };

export const MEMORY = ':memory:';

/**
 * `:memory:`, `sqlite::memory:`, `sqlite:<path>`, `sqlite://<path>` (so `sqlite:///abs/x.db` is absolute),
 * `file:` URLs and bare paths → SQLite; `postgres://` and `postgresql://` → PostgreSQL. Anything else with a
 * scheme is refused rather than taken for a file name: `mysql://…` must not create a file called `mysql:`.
 */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  const text = url.trim();
  if (text === '') throw unsupported(url, 'it is empty');
  if (/^postgres(ql)?:\/\//i.test(text)) return { backend: Backend.Postgres, url: text };
  if (/^sqlite:/i.test(text)) {
    let path = text.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') throw unsupported(url, 'it names no file');
    return { backend: Backend.Sqlite, path };
  }
  if (/^file:/i.test(text)) return { backend: Backend.Sqlite, path: fileURLToPath(text) };
  // Two or more letters before the colon: a scheme. (One letter would be a Windows drive.)
  if (/^[a-z][a-z0-9+.-]+:/i.test(text) && text !== MEMORY) throw unsupported(url, 'unknown scheme');
  return { backend: Backend.Sqlite, path: text };
}

/** Query parameters libpq (and pg-connection-string) read a password from. */
const SECRET_PARAMS: ReadonlySet<string> = new Set(['password', 'sslpassword']);

/**
 * The URL without its password, for messages and logs: the password and the password/sslpassword query
 * parameters become `***`. Parsed as a URL (a password may hold `@` or `/`: a pattern cannot tell where it
 * ends); a URL that does not parse is not shown at all, only its scheme, since its secret could be anywhere in it.
 */
export function redactUrl(url: string): string {
  const text = url.trim();
  if (text === '') return '';
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(text)?.[0];
    return `${scheme ?? ''}(a URL that does not parse, not shown)`;
  }
  if (parsed.password !== '') parsed.password = '***';
  for (const key of new Set(parsed.searchParams.keys())) {
    if (SECRET_PARAMS.has(key.toLowerCase())) parsed.searchParams.set(key, '***');
  }
  return parsed.href;
}

function unsupported(url: string, why: string): StoreError {
  return new StoreError(
    StoreErrorCode.UnsupportedDatabaseUrl,
    `unsupported database URL ${JSON.stringify(redactUrl(url))} (${why}): use a SQLite file path, ` +
      '`sqlite:<path>`, `:memory:` or `postgres://user:password@host:port/database`',
  );
}
