// A sensitive value is hidden in the forms a chart's templates write it in, not only as given.
import { describe, expect, it } from 'vitest';
import { encodedForms, Redactor } from './redact.js';

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

  it('hands an agent the values themselves, not their forms', () => {
    expect(redactor.sensitiveValues).toEqual([secret]);
  });
});
