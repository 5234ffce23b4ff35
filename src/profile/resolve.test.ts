import { describe, expect, it } from 'vitest';
import { formatIssues } from './errors.js';
import type { HelmPack, ManifestPack } from './model.js';
import { Redactor } from './redact.js';
import { MAX_UNKNOWN_SHOWN, resolveProfile } from './resolve.js';
import { messages, parseOk, profileText } from './testing/profiles.js';
import { parseProfile } from './parse.js';

const VARIABLES = `
- name: region
  default: eu-west-1
  regex: '[a-z]{2}-[a-z]+-\\d'
- name: password
  required: true
  sensitive: true
  regex: '.{8,}'
- name: optional`;

const PACKS = `
- name: app
  layer: addon
  version: 1.0.0
  type: helm
  chart: { path: ./app }
  values:
    cluster: "{{ .strata.cluster.name }}"
    title: "{{.strata.profile.name}} v{{ .strata.profile.version }}"
    region: "{{ .strata.var.region }}"
    auth: { password: "{{ .strata.var.password }}" }
    extra: "[{{ .strata.var.optional }}]"
    helmTemplate: "{{ .Release.Name }}"
- name: cm
  layer: addon
  version: 1.0.0
  type: manifest
  manifests:
    - apiVersion: v1
      kind: ConfigMap
      metadata: { name: "{{ .strata.cluster.name }}-info" }
      data: { region: "{{ .strata.var.region }}" }`;

const parsed = parseOk(
  profileText({ name: 'shop', version: '2.3.4', variables: VARIABLES, packs: PACKS }),
  'shop.yaml',
);

describe('resolveProfile', () => {
  it('replaces every macro in values and manifests, leaving Helm templates alone', () => {
    const result = resolveProfile(parsed, { clusterName: 'prod-1', values: { password: 'correct horse' } });
    if (!result.ok) throw new Error(formatIssues(result.issues));
    const [app, cm] = result.value.packs as [HelmPack, ManifestPack];
    expect(app.values).toEqual({
      cluster: 'prod-1',
      title: 'shop v2.3.4',
      region: 'eu-west-1',
      auth: { password: 'correct horse' },
      extra: '[]',
      helmTemplate: '{{ .Release.Name }}',
    });
    expect(cm.manifests[0]).toMatchObject({
      metadata: { name: 'prod-1-info' },
      data: { region: 'eu-west-1' },
    });
  });

  it('reports a missing required variable at its declaration', () => {
    expect(messages(resolveProfile(parsed, { clusterName: 'c', values: {} }))).toEqual([
      'shop.yaml:12:7 spec.variables[1]: required variable "password" has no value and no default',
    ]);
  });

  it('reports a regex mismatch, showing the value only when it is not sensitive', () => {
    const result = resolveProfile(parsed, {
      clusterName: 'c',
      values: { region: 'mars', password: 'short' },
    });
    expect(messages(result)).toEqual([
      'shop.yaml:9:7 spec.variables[0]: value of variable "region" must match /[a-z]{2}-[a-z]+-\\d/; got "mars"',
      'shop.yaml:12:7 spec.variables[1]: value of variable "password" must match /.{8,}/; got a sensitive value (not shown)',
    ]);
    expect(JSON.stringify(result)).not.toContain('short');
  });

  it('reports values given for variables the profile does not declare', () => {
    const result = resolveProfile(parsed, {
      clusterName: 'c',
      values: { password: 'long enough', regoin: 'x' },
    });
    expect(messages(result)).toEqual([
      'shop.yaml:9:5 values.regoin: unknown variable "regoin" for profile "shop"; did you mean "region"?',
    ]);
  });

  it('lists the declared variables once, in the first unknown one no declared name is close to', () => {
    const result = resolveProfile(parsed, {
      clusterName: 'c',
      values: { password: 'long enough', zone: 'a', regoin: 'x', tier: 'b' },
    });
    expect(messages(result)).toEqual([
      'shop.yaml:9:5 values.zone: unknown variable "zone" for profile "shop"; declared: region, password, optional',
      'shop.yaml:9:5 values.regoin: unknown variable "regoin" for profile "shop"; did you mean "region"?',
      'shop.yaml:9:5 values.tier: unknown variable "tier" for profile "shop"',
    ]);
  });

  it(`describes ${MAX_UNKNOWN_SHOWN} unknown variables at most, and counts the rest (review 14)`, () => {
    // Names as long as a declared one, each a near miss: the did-you-mean runs for the shown ones only.
    const values = Object.fromEntries(
      Array.from({ length: 5000 }, (_, i) => [`regio${String(i).padStart(4, '0')}`, 'x']),
    );
    const started = performance.now();
    const result = resolveProfile(parsed, {
      clusterName: 'c',
      values: { ...values, password: 'long enough' },
    });
    const elapsedMs = performance.now() - started;
    const found = messages(result);
    expect(found).toHaveLength(MAX_UNKNOWN_SHOWN + 1);
    expect(found[0]).toBe(
      'shop.yaml:9:5 values.regio0000: unknown variable "regio0000" for profile "shop"; declared: region, password, optional',
    );
    expect(found[1]).toBe('shop.yaml:9:5 values.regio0001: unknown variable "regio0001" for profile "shop"');
    expect(found.at(-1)).toBe(
      `shop.yaml:9:5 ${5000 - MAX_UNKNOWN_SHOWN} more problems not shown; fix the ones above first`,
    );
    // The old loop made 5,000 issues of about 100 bytes; these 21 fit in a few KiB.
    expect(found.join('\n').length).toBeLessThan(4096);
    expect(elapsedMs).toBeLessThan(500);
  });

  it('lists 20 declared names at most, and cuts a long unknown name where it shows it', () => {
    const many = Array.from({ length: 30 }, (_, i) => `- name: v${i}`).join('\n');
    const plain =
      '- name: a\n  layer: addon\n  version: 1.0.0\n  type: manifest\n  manifests: [{ apiVersion: v1, kind: ConfigMap, metadata: { name: a } }]';
    const wide = parseOk(profileText({ name: 'wide', variables: many, packs: plain }), 'wide.yaml');
    const long = `x${'y'.repeat(200)}`;
    const [issue, ...rest] = messages(resolveProfile(wide, { clusterName: 'c', values: { [long]: '' } }));
    expect(rest).toEqual([]);
    const shown = `${long.slice(0, 64)}…`;
    expect(issue).toBe(
      `wide.yaml:9:5 values["${shown}"]: unknown variable "${shown}" for profile "wide"; declared: ${Array.from({ length: 20 }, (_, i) => `v${i}`).join(', ')} and 10 more`,
    );
  });

  it('gives a redactor that hides sensitive values in anything meant for display', () => {
    const result = resolveProfile(parsed, { clusterName: 'c', values: { password: 'correct horse' } });
    if (!result.ok) throw new Error(formatIssues(result.issues));
    const { redactor } = result.value;
    expect(redactor.redactDeep(result.value.packs[0])).toMatchObject({
      values: { auth: { password: '******' } },
    });
    expect(redactor.redact('login failed for correct horse')).toBe('login failed for ******');
    expect(`${redactor.toString()} ${JSON.stringify(redactor)}`).not.toContain('correct horse');
  });

  it('shows a pack with ****** where a sensitive macro was, and nowhere else (review 14, item 7)', () => {
    // A weak secret that other, non-secret text holds too: a text search masked it there as well, which told a
    // viewer the secret (`app-******` beside a clear `app-postgres`).
    const weak = parseOk(
      profileText({
        name: 'db',
        version: '1.0.0',
        variables: '- name: user\n- name: password\n  sensitive: true',
        packs: `
- name: db
  layer: addon
  version: 1.0.0
  type: manifest
  manifests:
    - apiVersion: v1
      kind: ConfigMap
      metadata: { name: db-config }
      data: { user: "app-{{ .strata.var.user }}", host: postgres.db.svc, pw: "{{ .strata.var.password }}" }
- name: chart
  layer: addon
  version: 1.0.0
  type: helm
  chart: { path: ./chart }
  values: { dsn: "postgres://{{ .strata.var.user }}:{{ .strata.var.password }}@postgres" }`,
      }),
      'db.yaml',
    );
    const result = resolveProfile(weak, {
      clusterName: 'c',
      values: { user: 'postgres', password: 'postgres' },
    });
    if (!result.ok) throw new Error(formatIssues(result.issues));
    const [db, chart] = result.value.packs as [ManifestPack, HelmPack];
    const { redactor } = result.value;
    expect((redactor.shownPack(db) as ManifestPack).manifests[0]?.data).toEqual({
      user: 'app-postgres',
      host: 'postgres.db.svc',
      pw: '******',
    });
    expect((redactor.shownPack(chart) as HelmPack).values).toEqual({
      dsn: 'postgres://postgres:******@postgres',
    });
    // The resolved packs themselves are untouched, and text from elsewhere is still searched.
    expect(db.manifests[0]?.data).toMatchObject({ pw: 'postgres' });
    expect(redactor.redact('auth failed: postgres')).toBe('auth failed: ******');
  });

  it('shows a pack it did not resolve by searching its text, the word holding a secret masked whole', () => {
    const other = new Redactor(['s3cret']);
    const pack = { ...(parsed.profile.spec.packs[0] as HelmPack), values: { a: 'x-s3cret' } };
    expect((other.shownPack(pack) as HelmPack).values).toEqual({ a: '******' });
  });
});

describe('macros at parse time', () => {
  it('rejects unknown macros and undeclared variables, naming the pack and field', () => {
    const text = profileText({
      variables: '- name: region',
      packs: `
- name: app
  layer: addon
  version: 1.0.0
  type: helm
  chart: { path: ./app }
  values:
    a: "{{ .strata.cluster.nam }}"
    b: "{{ .strata.var.regoin }}"
    c: "{{ .strata.secret }}"`,
    });
    expect(messages(parseProfile(text, { file: 'p.yaml' }))).toEqual([
      'p.yaml:17:12 spec.packs[0].values.a: unknown macro {{ .strata.cluster.nam }}; did you mean {{ .strata.cluster.name }}? (pack "app")',
      'p.yaml:18:12 spec.packs[0].values.b: unknown variable "regoin" in {{ .strata.var.regoin }} (pack "app"); did you mean "region"?',
      'p.yaml:19:12 spec.packs[0].values.c: unknown macro {{ .strata.secret }}; expected one of {{ .strata.cluster.name }}, {{ .strata.profile.name }}, {{ .strata.profile.version }}, {{ .strata.var.NAME }} (pack "app")',
    ]);
  });

  it('never shows a sensitive default in an error', () => {
    const text = profileText({
      variables: "- name: token\n  sensitive: true\n  default: hunter2\n  regex: '[0-9]+'",
      packs:
        '- name: a\n  layer: addon\n  version: 1.0.0\n  type: manifest\n  manifests: [{ apiVersion: v1, kind: ConfigMap, metadata: { name: a } }]',
    });
    const found = messages(parseProfile(text, { file: 'p.yaml' }));
    expect(found).toEqual([
      'p.yaml:11:16 spec.variables[0].default: variable "token" is sensitive, so it takes no default (the profile is readable by every viewer): remove it and give the value per cluster, e.g. `strata attach CLUSTER PROFILE --set token=…`',
      'p.yaml:11:16 spec.variables[0].default: expected a value matching /[0-9]+/; got ******',
    ]);
    expect(found.join()).not.toContain('hunter2');
    // A version stored before the rule: only the regex.
    expect(messages(parseProfile(text, { file: 'p.yaml', storedVersion: true }))).toEqual([
      'p.yaml:11:16 spec.variables[0].default: expected a value matching /[0-9]+/; got ******',
    ]);
  });

  it('refuses a default on a sensitive variable in a new version (review 10, finding 4); a stored one keeps it in effect', () => {
    const text = profileText({
      variables: '- name: region\n  default: eu-west\n- name: token\n  sensitive: true\n  default: hunter2',
      packs:
        '- name: a\n  layer: addon\n  version: 1.0.0\n  type: manifest\n  manifests: [{ apiVersion: v1, kind: ConfigMap, metadata: { name: a }, data: { t: "{{ .strata.var.token }}" } }]',
    });
    const found = messages(parseProfile(text, { file: 'p.yaml' }));
    expect(found).toEqual([
      'p.yaml:13:16 spec.variables[1].default: variable "token" is sensitive, so it takes no default (the profile is readable by every viewer): remove it and give the value per cluster, e.g. `strata attach CLUSTER PROFILE --set token=…`',
    ]);
    expect(found.join()).not.toContain('hunter2');
    // Stored before the rule: it loads, and an attachment that gives no value still renders with the default.
    const stored = parseProfile(text, { file: 'p.yaml', storedVersion: true });
    expect(stored.ok).toBe(true);
    if (!stored.ok) return;
    const resolved = resolveProfile(stored.value, { clusterName: 'c', values: {} });
    expect(resolved.ok && JSON.stringify(resolved.value)).toContain('"t":"hunter2"');
  });
});

describe('Redactor', () => {
  it('replaces the longest secret first and ignores empty ones', () => {
    const redactor = new Redactor(['abc', 'abcdef', '']);
    expect(redactor.redact('x abcdef y abc')).toBe('x ****** y ******');
  });
});
