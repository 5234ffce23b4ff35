import { describe, expect, it } from 'vitest';
import { valuesSchemaProblem } from './chart-schema.js';

const check = (schema: unknown) =>
  valuesSchemaProblem('web/values.schema.json', Buffer.from(JSON.stringify(schema)));

describe('valuesSchemaProblem (review 8, item 2)', () => {
  it('accepts references inside the schema and the drafts helm has built in', () => {
    expect(
      check({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: 'https://example.com/web.json',
        $defs: { port: { type: 'integer' } },
        properties: { port: { $ref: '#/$defs/port' }, other: { $ref: '#' }, dyn: { $dynamicRef: '#meta' } },
      }),
    ).toBeUndefined();
    for (const draft of [
      'http://json-schema.org/draft-07/schema#',
      'http://json-schema.org/draft-04/schema',
      'https://json-schema.org/draft/2019-09/schema',
      'http://json-schema.org/schema#',
    ])
      expect(check({ $schema: draft })).toBeUndefined();
  });

  it.each([
    ['an http URL', { $ref: 'http://169.254.169.254/latest/meta-data/' }, '/properties/a'],
    ['a file URL', { $ref: 'file:///var/lib/strata/secret.key' }, '/properties/a'],
    ['a relative file', { $ref: 'common.json#/port' }, '/properties/a'],
    ['a dynamic reference', { $dynamicRef: 'https://example.com/x' }, '/properties/a'],
    ['a recursive reference', { $recursiveRef: 'other.json' }, '/properties/a'],
  ])('refuses %s, naming the keyword and where it is', (_what, sub, at) => {
    expect(check({ properties: { a: sub } })).toMatch(
      new RegExp(
        `^web/values\\.schema\\.json: "\\$\\w+" at ${at} is ".+"; a values schema may only refer inside itself`,
      ),
    );
  });

  it('finds a reference in an array, and refuses a $schema helm would fetch', () => {
    expect(check({ anyOf: [{ type: 'string' }, { $ref: 'https://x.example/s' }] })).toContain('at /anyOf/1');
    expect(check({ $schema: 'https://evil.example/meta' })).toContain(
      '"$schema" at / is "https://evil.example/meta"',
    );
  });

  it('refuses a schema that is not JSON (helm would parse it otherwise than the check)', () => {
    expect(valuesSchemaProblem('web/values.schema.json', Buffer.from('{ "$ref": '))).toMatch(
      /^web\/values\.schema\.json is not valid JSON/,
    );
  });

  it('cuts a long reference short in the message', () => {
    const problem = check({ $ref: `http://x.example/${'a'.repeat(500)}` }) ?? '';
    expect(problem.length).toBeLessThan(400);
  });
});
