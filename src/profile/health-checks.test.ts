import { describe, expect, it } from 'vitest';
import { parseHealthRulesFile } from './health-rules-file.js';
import { parseProfile } from './parse.js';
import { manifestPack, messages, parseOk, profileText } from './testing/profiles.js';

/** A profile whose spec has `healthChecks` (given as YAML lines at spec level) and one manifest pack. */
function withHealthChecks(lines: string, packExtra = ''): string {
  return profileText({ packs: manifestPack('web', packExtra) }).replace(
    '  packs:\n',
    `  healthChecks:\n${lines
      .trim()
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n')}\n  packs:\n`,
  );
}

const parse = (text: string) => parseProfile(text, { file: 'profile.yaml' });

describe('spec.healthChecks', () => {
  it('keeps valid rules as specs, with the grace period in seconds', () => {
    const { profile } = parseOk(
      withHealthChecks(`
- apiVersion: example.com/v1
  kind: Widget
  current: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')"
  failed: status.phase == 'Failed'
  message: status.message
  grace: 2m`),
    );
    expect(profile.spec.healthChecks).toEqual([
      {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        current: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
        failed: "status.phase == 'Failed'",
        message: 'status.message',
        graceSeconds: 120,
      },
    ]);
  });

  it('leaves healthChecks out of a profile that has none (stored profiles read the same)', () => {
    expect(parseOk(profileText({ packs: manifestPack('web') })).profile.spec).not.toHaveProperty(
      'healthChecks',
    );
  });

  it('positions a CEL error at its character in the file: plain, quoted and block scalars', () => {
    const text = withHealthChecks(`
- apiVersion: example.com/v1
  kind: Widget
  current: sttaus.ready == true
  failed: "status.phase == 'Failed' && bogus(1)"
  inProgress: |
    status.phase == 'Pending' ||
      status.phase = 'Creating'`);
    const lines = text.split('\n');
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    const columnOf = (needle: string) => (lines[lineOf(needle) - 1]?.indexOf(needle) ?? -1) + 1;
    expect(messages(parse(text))).toEqual([
      `profile.yaml:${lineOf("status.phase = 'Creating'")}:${columnOf("= 'Creating'")} spec.healthChecks[0].inProgress: CEL: syntax error: found = but expecting end of input`,
      `profile.yaml:${lineOf('bogus(1)')}:${columnOf('bogus(1)')} spec.healthChecks[0].failed: CEL: unknown function 'bogus'`,
      `profile.yaml:${lineOf('sttaus')}:${columnOf('sttaus')} spec.healthChecks[0].current: CEL: undeclared reference to 'sttaus' (the object's fields are self, apiVersion, kind, metadata, spec, status)`,
    ]);
  });

  it('refuses at publish a rule whose loops over literal lists cost more than the limit', () => {
    // Review 14, finding 3: this rule published with no issue, then held the hub's event loop 1 s per object.
    const ten = '[0,1,2,3,4,5,6,7,8,9]';
    const loop = `${ten}.all(a, ${ten}.all(b, ${ten}.all(c, ${ten}.all(d, ${ten}.all(e, self.metadata.name != 'x')))))`;
    const text = withHealthChecks(`
- apiVersion: example.com/v1
  kind: Widget
  current: "${loop}"`);
    const line = text.split('\n').findIndex((l) => l.includes('all(a')) + 1;
    expect(messages(parse(text))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^profile\\.yaml:${line}:\\d+ spec\\.healthChecks\\[0\\]\\.current: CEL: the expression's loops over literal lists cost up to \\d+ units, past the limit of 3000 `,
        ),
      ),
    ]);
  });

  it('refuses rules for built-in kinds and a second rule for the same kind', () => {
    const result = parse(
      withHealthChecks(`
- { apiVersion: apps/v1, kind: Deployment, current: "true" }
- { apiVersion: example.com/v1, kind: Widget, current: "true" }
- { apiVersion: example.com/v2, kind: Widget, current: "false" }`),
    );
    expect(messages(result)).toEqual([
      'profile.yaml:9:21 spec.healthChecks[0].apiVersion: health rules are for custom resources; apps/v1 is served by Kubernetes itself and has its own rules',
      'profile.yaml:11:43 spec.healthChecks[2].kind: duplicate health rule for example.com/Widget; first in spec.healthChecks[1]',
    ]);
  });

  it('reads a pack healthGrace as milliseconds', () => {
    const { profile } = parseOk(profileText({ packs: manifestPack('web', 'healthGrace: 45s') }));
    expect(profile.spec.packs[0]?.healthGraceMs).toBe(45_000);
  });
});

describe('a cluster-wide health rules file', () => {
  it('reads the rules of a HealthRules document', () => {
    const result = parseHealthRulesFile(
      [
        'apiVersion: strata.dev/v1alpha1',
        'kind: HealthRules',
        'spec:',
        '  healthChecks:',
        '    - apiVersion: example.com/v1',
        '      kind: Widget',
        "      current: status.phase == 'Ready'",
        '',
      ].join('\n'),
      { file: 'rules.yaml' },
    );
    expect(result).toEqual({
      ok: true,
      value: [{ apiVersion: 'example.com/v1', kind: 'Widget', current: "status.phase == 'Ready'" }],
    });
  });

  it('positions CEL and schema errors in the file', () => {
    const result = parseHealthRulesFile(
      [
        'apiVersion: strata.dev/v1alpha1',
        'kind: HealthRules',
        'spec:',
        '  healthChecks:',
        '    - apiVersion: example.com/v1',
        '      kind: Widget',
        "      current: status.phase == 'Ready' &&",
        '      bogus: 1',
        '',
      ].join('\n'),
      { file: 'rules.yaml' },
    );
    expect(messages(result)).toEqual([
      'rules.yaml:8:7 spec.healthChecks[0].bogus: unknown field; expected one of apiVersion, kind, current, inProgress, failed, message, grace',
    ]);
    const cel = parseHealthRulesFile(
      'apiVersion: strata.dev/v1alpha1\nkind: HealthRules\nspec:\n  healthChecks:\n    - { apiVersion: example.com/v1, kind: Widget, current: "status.ready ==" }\n',
      { file: 'rules.yaml' },
    );
    expect(messages(cel)).toEqual([
      expect.stringMatching(/^rules\.yaml:5:\d+ spec\.healthChecks\[0\]\.current: CEL: syntax error/),
    ]);
  });
});
