import { describe, expect, it } from 'vitest';
import { StoreError } from './errors.js';
import { parseDatabaseUrl, redactUrl } from './url.js';

describe('parseDatabaseUrl', () => {
  it.each([
    [':memory:', { backend: 'sqlite', path: ':memory:' }],
    ['sqlite::memory:', { backend: 'sqlite', path: ':memory:' }],
    ['sqlite:.strata/strata.db', { backend: 'sqlite', path: '.strata/strata.db' }],
    ['sqlite:///var/lib/strata/strata.db', { backend: 'sqlite', path: '/var/lib/strata/strata.db' }],
    ['sqlite://rel/strata.db', { backend: 'sqlite', path: 'rel/strata.db' }],
    ['file:///var/lib/strata.db', { backend: 'sqlite', path: '/var/lib/strata.db' }],
    ['./data/strata.db', { backend: 'sqlite', path: './data/strata.db' }],
    ['/abs/strata.db', { backend: 'sqlite', path: '/abs/strata.db' }],
    ['postgres://u:p@db:5432/strata', { backend: 'postgres', url: 'postgres://u:p@db:5432/strata' }],
    ['postgresql://db/strata', { backend: 'postgres', url: 'postgresql://db/strata' }],
  ])('%s', (url, expected) => {
    expect(parseDatabaseUrl(url)).toEqual(expected);
  });

  it.each(['', '  ', 'sqlite:', 'mysql://db/strata', 'redis://x'])('refuses %j with a typed error', (url) => {
    expect(() => parseDatabaseUrl(url)).toThrow(StoreError);
    try {
      parseDatabaseUrl(url);
    } catch (error) {
      expect((error as StoreError).code).toBe('UNSUPPORTED_DATABASE_URL');
    }
  });

  it('never puts the password of a refused URL in the message', () => {
    expect(() => parseDatabaseUrl('mysql://root:hunter2@db/x')).toThrow(/mysql:\/\/root:\*\*\*@db\/x/);
  });
});

describe('redactUrl', () => {
  it('hides the password and only the password', () => {
    expect(redactUrl('postgres://strata:s3cret@127.0.0.1:5432/strata')).toBe(
      'postgres://strata:***@127.0.0.1:5432/strata',
    );
    expect(redactUrl('postgres://127.0.0.1/strata')).toBe('postgres://127.0.0.1/strata');
    expect(redactUrl('postgres://user@host/db')).toBe('postgres://user@host/db');
  });

  // Security review 10, item 6: the old pattern stopped at the first `@` or `/` of the password, and never looked
  // at the query.
  it.each([
    ['postgres://strata:s3cr@t!@db/strata', 'postgres://strata:***@db/strata', 's3cr'],
    ['postgres://strata:pa/ss@db/strata', 'postgres:(a URL that does not parse, not shown)', 'ss@'],
    [
      'postgres://db/strata?user=strata&password=hunter2',
      'postgres://db/strata?user=strata&password=***',
      'hunter2',
    ],
    [
      'postgres://u@db/strata?sslpassword=keypass&sslmode=require',
      'postgres://u@db/strata?sslpassword=***&sslmode=require',
      'keypass',
    ],
    [
      'postgresql://u:p%40ss@db:5432/strata?PASSWORD=x2',
      'postgresql://u:***@db:5432/strata?PASSWORD=***',
      'x2',
    ],
  ])('hides the password of %s', (url, shown, secret) => {
    expect(redactUrl(url)).toBe(shown);
    expect(redactUrl(url)).not.toContain(secret);
  });

  it('shows nothing of a URL it cannot parse but its scheme', () => {
    expect(redactUrl('postgres://a:b@[bad/x')).toBe('postgres:(a URL that does not parse, not shown)');
    expect(redactUrl('not a url: secret')).toBe('(a URL that does not parse, not shown)');
  });
});
