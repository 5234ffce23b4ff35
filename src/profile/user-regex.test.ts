// A variable's `regex` runs on RE2 (linear time): the ReDoS that froze the hub for 185 s answers at once, and
// patterns RE2 cannot run are positioned errors instead of being accepted.
import { describe, expect, it } from 'vitest';
import { IssueKind } from './errors.js';
import { parseProfile } from './parse.js';
import { resolveProfile } from './resolve.js';
import { manifestPack, messages, parseOk, profileText } from './testing/profiles.js';
import { compileUserRegex, MAX_MATCHED_LENGTH, MAX_REGEX_LENGTH } from './user-regex.js';

const EVIL = '(a+)+$';
const LONG_NEAR_MATCH = `${'a'.repeat(MAX_MATCHED_LENGTH - 1)}!`;

function withVariable(variable: string): string {
  return profileText({ variables: variable, packs: manifestPack('cm') });
}

const parse = (text: string) => parseProfile(text, { file: 'p.yaml' });

describe('variable regex', () => {
  it('rejects a default against (a+)+$ without hanging (was 185 s on JavaScript RegExp)', () => {
    const start = performance.now();
    const result = parse(withVariable(`- name: x\n  regex: '${EVIL}'\n  default: '${LONG_NEAR_MATCH}'`));
    expect(performance.now() - start).toBeLessThan(2000);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((i) => [i.kind, i.path, i.line])).toEqual([
      [IssueKind.VariableMismatch, 'spec.variables[0].default', 11],
    ]);
  });

  it('rejects a cluster value against (a+)+$ at resolve time without hanging', () => {
    const parsed = parseOk(withVariable(`- name: x\n  regex: '${EVIL}'`));
    const start = performance.now();
    const result = resolveProfile(parsed, { clusterName: 'c', values: { x: LONG_NEAR_MATCH } });
    expect(performance.now() - start).toBeLessThan(2000);
    expect(result.ok ? [] : result.issues.map((i) => i.kind)).toEqual([IssueKind.VariableMismatch]);
    expect(resolveProfile(parsed, { clusterName: 'c', values: { x: 'aaaa' } }).ok).toBe(true);
  });

  it('still matches the whole value, as before', () => {
    const parsed = parseOk(withVariable(`- name: x\n  regex: '[a-z]{2}-\\d'`));
    const resolve = (x: string) => resolveProfile(parsed, { clusterName: 'c', values: { x } }).ok;
    expect([resolve('eu-1'), resolve('xeu-1'), resolve('eu-12')]).toEqual([true, false, false]);
  });

  it.each([
    ['a backreference', '(a)\\1', 'invalid escape sequence'],
    ['a lookahead', '(?=a)a', 'invalid or unsupported Perl syntax'],
    ['a lookbehind', '(?<!a)b', 'error parsing regexp'],
  ])('refuses %s at the regex field, saying RE2 has no such thing', (_what, pattern, reason) => {
    const lines = messages(parse(withVariable(`- name: x\n  regex: '${pattern}'`)));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^p\.yaml:10:14 spec\.variables\[0\]\.regex: expected a valid regular expression; got /,
    );
    expect(lines[0]).toContain(reason);
    expect(lines[0]).toContain('RE2 syntax: no backreferences or lookaround');
  });

  it(`checks values of at most ${MAX_MATCHED_LENGTH} characters, so the worst pattern against the longest value stays bounded`, () => {
    const worst = '(a*)*'.repeat(MAX_REGEX_LENGTH / 5);
    const start = performance.now();
    const lines = messages(
      parse(
        withVariable(`- name: x\n  regex: '${worst}'\n  default: '${'a'.repeat(MAX_MATCHED_LENGTH + 1)}'`),
      ),
    );
    expect(performance.now() - start).toBeLessThan(2000);
    expect(lines).toEqual([
      `p.yaml:11:16 spec.variables[0].default: a value checked against regex may be at most ${MAX_MATCHED_LENGTH} characters; got ${MAX_MATCHED_LENGTH + 1}`,
    ]);
    const parsed = parseOk(withVariable(`- name: x\n  sensitive: true\n  regex: '${worst}'`));
    const resolved = resolveProfile(parsed, { clusterName: 'c', values: { x: 'a'.repeat(100_000) } });
    expect(messages(resolved)).toEqual([
      `profile.yaml:9:7 spec.variables[0]: variable "x": a value checked against regex may be at most ${MAX_MATCHED_LENGTH} characters; got 100000`,
    ]);
  });

  it(`refuses a pattern longer than ${MAX_REGEX_LENGTH} characters`, () => {
    const lines = messages(parse(withVariable(`- name: x\n  regex: '${'a'.repeat(MAX_REGEX_LENGTH + 1)}'`)));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `the pattern is ${MAX_REGEX_LENGTH + 1} characters; the limit is ${MAX_REGEX_LENGTH}`,
    );
    expect(compileUserRegex('a'.repeat(MAX_REGEX_LENGTH)).ok).toBe(true);
  });

  it('refuses a short pattern whose counted repetitions expand past the limit, before compiling it', () => {
    // 988 characters: compiling took 2 s and matching 4 KiB took 255 s before this check.
    const started = performance.now();
    const result = compileUserRegex('[a-z]{1,1000}'.repeat(76));
    expect(result).toEqual({
      ok: false,
      reason:
        "the pattern's repetitions expand to about 76000 steps; the limit is 1000 (each {n,m} copies what it follows m times)",
    });
    expect(performance.now() - started).toBeLessThan(500);
    expect(compileUserRegex('^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$').ok).toBe(true);
  });
});
