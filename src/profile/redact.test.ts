// A sensitive value is hidden in the forms a chart's templates write it in, not only as given.
import { describe, expect, it } from 'vitest';
import { cutText, KEPT_TEXT_MAX } from '../shared/kept-text.js';
import { encodedForms, Redactor } from './redact.js';
import { SEARCHED_SECRET_MIN } from './sensitive-defaults.js';

const secret = 'hunter2-Secret!';
const redactor = new Redactor([secret]);
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('Redactor', () => {
  it('hides the value as given', () => {
    expect(redactor.redact(`password is ${secret}.`)).toBe('password is ******.');
  });

  it('hides its base64 (b64enc), whole and inside a longer encoded string at any offset', () => {
    expect(redactor.redact(`data: {password: ${b64(secret)}}`)).toBe('data: {password: ******}');
    for (const before of ['', 'u', 'us', 'user:', 'admin:']) {
      const encoded = b64(`${before}${secret}@db`);
      const shown = redactor.redact(`auth: ${encoded}`);
      expect(shown, before).toMatch(/^auth: [A-Za-z0-9+/]{0,8}\*{6}[A-Za-z0-9+/=]{0,8}$/);
    }
  });

  it('hides its JSON-escaped form (toJson), also inside JSON in JSON, and Go’s <, >, & escapes', () => {
    const quoted = new Redactor(['a"b\\c<&>']);
    const once = JSON.stringify({ pw: 'a"b\\c<&>' });
    expect(quoted.redact(once)).toBe('{"pw":"******"}');
    expect(quoted.redact(JSON.stringify({ config: once }))).toBe('{"config":"{\\"pw\\":\\"******\\"}"}');
    expect(quoted.redact('{"pw":"a\\"b\\\\c\\u003c\\u0026\\u003e"}')).toBe('{"pw":"******"}');
  });

  it('hides its URL encodings (urlquery, encodeURIComponent)', () => {
    const spaced = new Redactor(['p@ss w/rd!']);
    expect(spaced.redact('postgres://u:p%40ss+w%2Frd%21@db/x')).toBe('postgres://u:******@db/x');
    expect(spaced.redact('postgres://u:p%40ss%20w%2Frd%21@db/x')).toBe('postgres://u:******@db/x');
    expect(spaced.redact(`?pw=${encodeURIComponent('p@ss w/rd!')}`)).toBe('?pw=******');
  });

  it('hides nothing else: a short secret adds no short base64 runs that match ordinary text', () => {
    const short = new Redactor(['abc']);
    expect(encodedForms('abc')).toEqual(['abc', 'YWJj']);
    expect(short.redact('the quick brown fox')).toBe('the quick brown fox');
    expect(redactor.redact('nothing sensitive here')).toBe('nothing sensitive here');
  });

  describe('in free text, masks the whole word a secret is part of, not only the secret (review 14, item 7)', () => {
    const pg = new Redactor(['postgres']);

    it('at the start, the end or the middle of a word', () => {
      expect(pg.redact('host postgres-0.db.svc:5432')).toBe('host ******:5432');
      expect(pg.redact('user app-postgres, ready')).toBe('user ******, ready');
      expect(pg.redact('dial app-postgres.db.svc:5432: refused')).toBe('dial ******:5432: refused');
      expect(pg.redact('image "docker.io/library/postgres:16"')).toBe('image "docker.io/library/******:16"');
      expect(pg.redact('postgres')).toBe('******');
    });

    it('stops at separators: white space, quotes, brackets, / : @ = , ; & ? # \\ *', () => {
      const around = [
        '"',
        "'",
        '(',
        ')',
        '[',
        ']',
        '{',
        '}',
        '<',
        '>',
        '/',
        ':',
        '@',
        '=',
        ',',
        ';',
        '&',
        '?',
        '#',
      ];
      for (const s of [...around, ' ', '\t', '\n', '\\', '*'])
        expect(pg.redact(`a${s}postgres${s}b`), JSON.stringify(s)).toBe(`a${s}******${s}b`);
      expect(pg.redact('postgres://u:x-postgres-y@db/x?pw=postgres&z=1')).toBe(
        '******://u:******@db/x?pw=******&z=1',
      );
    });

    it('repeated, one mask per word; touching or overlapping matches, of one secret or several, one mask', () => {
      expect(pg.redact('postgres postgres-postgres postgrespostgres')).toBe('****** ****** ******');
      const two = new Redactor(['abcdefgh', 'efghijkl']);
      expect(two.redact('x abcdefghijkl y')).toBe('x ****** y');
      expect(two.redact('x:abcdefgh:efghijkl:y')).toBe('x:******:******:y');
      // A secret that ends on a separator does not mask the next word.
      expect(new Redactor(['secret-pw:']).redact('xsecret-pw:next')).toBe('******next');
    });

    it('counts letters, marks and digits of every script, and characters outside the BMP, as one word', () => {
      expect(pg.redact('grüße-postgres-ünïcode ok')).toBe('****** ok');
      expect(pg.redact('日本postgres語 ok')).toBe('****** ok');
      expect(pg.redact('e\u0301postgres ok')).toBe('****** ok');
      expect(pg.redact('𝒳postgres𝒴 ok')).toBe('****** ok');
      expect(pg.redact('😀postgres😀')).toBe('😀******😀');
      const emoji = new Redactor(['пароль-𝒳𝒴']);
      expect(emoji.redact('x-пароль-𝒳𝒴𝒵 y')).toBe('****** y');
    });

    it('masks a secret shorter than SEARCHED_SECRET_MIN only where it is a word of its own', () => {
      expect(SEARCHED_SECRET_MIN).toBe(6);
      const pin = new Redactor(['4711']);
      expect(pin.redact('pin 4711, port 47110, x4711, 4711_a, 4711é')).toBe(
        'pin ******, port 47110, x4711, 4711_a, 4711é',
      );
      expect(pin.redact('4711:4711')).toBe('******:******');
      expect(new Redactor(['1']).redact('0/1 available, v12.21')).toBe('0/****** available, v12.21');
    });

    it('counts only letters, marks, digits and `_` as a short secret’s word: beside punctuation it is masked (review 17, item 3)', () => {
      const key = new Redactor(['k3yZ']);
      expect(key.redact('Error: execution error at (app/templates/db.yaml:3:4): password is k3yZ.')).toBe(
        'Error: execution error at (app/templates/db.yaml:3:4): password is ******.',
      );
      expect(key.redact('helm: invalid value "--password" k3yZ-')).toBe(
        'helm: invalid value "--password" ******-',
      );
      expect(key.redact('v1.k3yZ, +k3yZ+, ~k3yZ~, 50%k3yZ')).toBe('v1.******, +******+, ~******~, 50%******');
      // Still not inside a word of letters and digits.
      expect(key.redact('xk3yZ, k3yZx, k3yZ_1')).toBe('xk3yZ, k3yZx, k3yZ_1');
    });

    it('counts an escape before a short secret as the end of a word: URL %XX, JSON \\n and \\uXXXX (review 17, item 3)', () => {
      const key = new Redactor(['k3yZ']);
      // Go's urlquery of "app:k3yZ", a form the Redactor covers.
      expect(key.redact('dial postgres://app%3Ak3yZ@db:5432 failed')).toBe(
        'dial postgres://app%3A******@db:5432 failed',
      );
      expect(key.redact('{"note":"user app\\nk3yZ\\u0026more"}')).toBe(
        '{"note":"user app\\n******\\u0026more"}',
      );
      expect(key.redact('{"pw":"\\u003ek3yZ"}')).toBe('{"pw":"\\u003e******"}');
      // A short form's own encodings are searched as well: urlquery writes `a b` as `a+b`.
      expect(new Redactor(['a b']).redact('q=a+b.')).toBe('q=******.');
      // Not after letters that only look like an escape's end.
      expect(key.redact('app3Ak3yZ, %3')).toBe('app3Ak3yZ, %3');
    });

    it('masks the whole base64 word a secret is encoded in (its `=` padding is a separator)', () => {
      const encoded = b64(`user:${secret}@db`);
      expect(encoded).toMatch(/^[A-Za-z0-9+]+=*$/);
      expect(redactor.redact(`auth: ${encoded} done`)).toMatch(/^auth: \*{6}=* done$/);
    });
  });

  describe('masks the start of a secret that a cut (shared/kept-text.ts) left before its marker (review 17, item 5)', () => {
    const long = 'Tr0ub4dor-and-3-horses';
    const cut = (before: string, shown: string) =>
      cutText(`${before}${shown}`.padEnd(KEPT_TEXT_MAX + 300, 'z'));
    /** `before` + the first `kept` characters of `secret`, cut right after them. */
    const cutInside = (before: string, secret: string, kept: number) => {
      const text = cut('', '');
      const room = text.indexOf('…[') - before.length - kept;
      return cutText(
        `${'x'.repeat(room - 1)} ${before}${secret.slice(0, kept)}${secret.slice(kept)} ${'z'.repeat(300)}`,
      );
    };
    /** The last words before the (first) marker, and the marker's start. */
    const tail = (text: string) => `${text.slice(0, text.indexOf('…[')).replace(/^x+ /, '')}…[`;

    it('a long secret: its start and the word it ends, from 4 characters on; fewer where they are a word of their own', () => {
      const r = new Redactor([long]);
      const shown = r.redact(cutInside('password ', long, 12));
      expect(tail(shown)).toBe('password ******…[');
      expect(shown).not.toContain('Tr0ub');
      expect(tail(r.redact(cutInside('user=app-', long, 5)))).toBe('user=******…[');
      expect(tail(r.redact(cutInside('password ', long, 2)))).toBe('password ******…[');
      // Fewer than 4 characters inside a word match ordinary words by chance: shown.
      expect(tail(r.redact(cutInside('user=app', long, 3)))).toBe('user=appTr0…[');
    });

    it('a short secret where its start is a word of its own, and an encoded form too', () => {
      const r = new Redactor(['k3yZ']);
      expect(tail(r.redact(cutInside('password is ', 'k3yZ', 2)))).toBe('password is ******…[');
      expect(tail(r.redact(cutInside('password is x', 'k3yZ', 2)))).toBe('password is xk3…[');
      const b64Secret = new Redactor([long]);
      const encoded = b64(long);
      expect(tail(b64Secret.redact(cutInside('data: ', encoded, 10)))).toBe('data: ******…[');
    });

    it('before each marker of a text that quotes cut ones, and only there', () => {
      const r = new Redactor([long]);
      const message = (kept: number) => cutText(`pod: ${long} ${'z'.repeat(60)}`, kept + 36);
      expect(message(10)).toBe('pod: Tr0ub…[78 more characters cut by the hub]');
      const quoted = `timed out; still waiting for: ${message(10)}; ${message(14)}`;
      expect(r.redact(quoted)).toBe(
        'timed out; still waiting for: pod: ******…[78 more characters cut by the hub]; pod: ******…[74 more characters cut by the hub]',
      );
      expect(r.redact('hash Tr0u and Tr0u…')).toBe('hash Tr0u and Tr0u…');
    });
  });

  it('hands an agent the values themselves, not their forms', () => {
    expect(redactor.sensitiveValues).toEqual([secret]);
  });
});
