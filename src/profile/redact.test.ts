// A sensitive value is hidden in the forms a chart's templates write it in, not only as given.
import { describe, expect, it } from 'vitest';
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
      expect(pin.redact('pin 4711, port 47110, v1.4711, x4711')).toBe(
        'pin ******, port 47110, v1.4711, x4711',
      );
      expect(pin.redact('4711:4711')).toBe('******:******');
      expect(new Redactor(['1']).redact('0/1 available, v1.2.1')).toBe('0/****** available, v1.2.1');
    });

    it('masks the whole base64 word a secret is encoded in (its `=` padding is a separator)', () => {
      const encoded = b64(`user:${secret}@db`);
      expect(encoded).toMatch(/^[A-Za-z0-9+]+=*$/);
      expect(redactor.redact(`auth: ${encoded} done`)).toMatch(/^auth: \*{6}=* done$/);
    });
  });

  it('hands an agent the values themselves, not their forms', () => {
    expect(redactor.sensitiveValues).toEqual([secret]);
  });
});
