// Validation rules added for a multi-user hub: the grammar of every field that reaches `helm` on its command
// line (nothing may start with `-`), relative paths only, and the gaps a hostile pass found accepted.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diskFiles } from './disk-files.js';
import { loadProfileText } from './load.js';
import { parseProfiles } from './parse.js';
import { MAX_VARIABLES } from './schema.js';
import { manifestPack, messages, profileText } from './testing/profiles.js';

const parse = (text: string) => parseProfiles(text, { file: 'p.yaml' });

/** A helm pack with `chart` (flow mapping text) and extra lines. */
function helmPack(chart: string, extra: string[] = []): string {
  return [
    '- name: web',
    '  layer: addon',
    '  version: 1.0.0',
    '  type: helm',
    `  chart: ${chart}`,
    ...extra,
  ].join('\n');
}

const issuePaths = (text: string): string[] => {
  const result = parse(text);
  return result.ok ? [] : result.issues.map((issue) => issue.path);
};

describe('fields that reach helm: grammar', () => {
  it('refuses `name: "--post-renderer=/bin/sh"` (ran a shell on the hub) and accepts Helm chart names', () => {
    const bad = profileText({
      packs: helmPack('{ repo: "https://charts.example.com", name: "--post-renderer=/bin/sh" }'),
    });
    expect(messages(parse(bad))).toEqual([
      'p.yaml:13:58 spec.packs[0].chart.name: expected a Helm chart name (letters, digits, ., _ and -, starting with a letter or digit); got "--post-renderer=/bin/sh"',
    ]);
    for (const name of ['kube-prometheus-stack', 'ingress_nginx', 'Chart.v2', '0ad']) {
      expect(
        issuePaths(
          profileText({ packs: helmPack(`{ repo: "https://charts.example.com", name: "${name}" }`) }),
        ),
      ).toEqual([]);
    }
  });

  it.each([
    ['credentials', 'https://user:pass@charts.example.com'],
    ['another scheme', 'ftp://charts.example.com'],
    ['a space', 'https://charts.example.com/a b'],
    ['a control character', 'https://charts.example.com/\\u0007'],
    ['a query', 'https://charts.example.com/?x=1'],
    ['a flag', '--repo=https://x'],
  ])('refuses a repository URL with %s', (_what, repo) => {
    expect(issuePaths(profileText({ packs: helmPack(`{ repo: "${repo}", name: web }`) }))).toEqual([
      'spec.packs[0].chart.repo',
    ]);
  });

  it('accepts repository URLs with a port and a path', () => {
    for (const repo of [
      'https://charts.example.com',
      'http://localhost:8080/charts/stable/',
      'https://a.b/~x/%20y',
    ]) {
      expect(issuePaths(profileText({ packs: helmPack(`{ repo: "${repo}", name: web }`) }))).toEqual([]);
    }
  });

  it.each([
    ['credentials', 'oci://user:pw@ghcr.io/org/chart'],
    ['a tag', 'oci://ghcr.io/org/chart:1.0.0'],
    ['uppercase in the path', 'oci://ghcr.io/Org/chart'],
    ['no path', 'oci://ghcr.io'],
    ['an empty path segment', 'oci://ghcr.io//chart'],
    ['a host that is a flag', 'oci://-x/chart'],
    ['a space', 'oci://ghcr.io/org/a chart'],
  ])('refuses an OCI reference with %s', (_what, oci) => {
    expect(issuePaths(profileText({ packs: helmPack(`{ oci: "${oci}" }`) }))).toEqual([
      'spec.packs[0].chart.oci',
    ]);
  });

  it('accepts OCI references with a port and nested repositories', () => {
    for (const oci of ['oci://ghcr.io/org/charts/a', 'oci://localhost:5000/my_charts/a-b.c', 'oci://r/a']) {
      expect(issuePaths(profileText({ packs: helmPack(`{ oci: "${oci}" }`) }))).toEqual([]);
    }
  });

  it.each([
    ['an absolute path', '/etc/passwd', 'expected a path relative to the profile file'],
    [
      'a .. segment',
      'charts/../../secret',
      '.. is not allowed; the path must stay inside the profile folder',
    ],
    ['a backslash', 'charts\\\\app', 'backslashes are not allowed; separate folders with /'],
    ['a NUL', 'charts/app\\0', 'control characters are not allowed'],
    ['an empty segment', 'charts//app', 'empty path segment (//)'],
    ['a leading -', '-app', 'a path may not start with -'],
    ['a Windows drive', 'C:/charts', 'expected a path relative to the profile file'],
  ])('refuses chart.path and files entries with %s', (_what, written, reason) => {
    const chart = messages(parse(profileText({ packs: helmPack(`{ path: "${written}" }`) })));
    expect(chart).toEqual([
      expect.stringContaining(
        `spec.packs[0].chart.path: expected a relative path inside the profile folder; got`,
      ),
    ]);
    expect(chart[0]).toContain(`(${reason})`);
    const files = messages(
      parse(profileText({ packs: manifestPack('m', `files: ["ok.yaml", "${written}"]`) })),
    );
    expect(files).toEqual([
      expect.stringContaining(
        `spec.packs[0].files[1]: expected a relative path inside the profile folder; got`,
      ),
    ]);
  });

  it('accepts ./ and nested relative paths', () => {
    expect(issuePaths(profileText({ packs: helmPack('{ path: ./charts/app }') }))).toEqual([]);
    expect(issuePaths(profileText({ packs: manifestPack('m', 'files: [a.yaml, ./b/c.yaml]') }))).toEqual([]);
  });

  // Every field that ends up on helm's command line (src/engine/helm.ts), with where it sits in the profile.
  const FIELDS: { path: string; profile: (value: string) => string }[] = [
    {
      path: 'spec.packs[0].chart.name',
      profile: (v) => profileText({ packs: helmPack(`{ repo: "https://c.example.com", name: ${v} }`) }),
    },
    {
      path: 'spec.packs[0].chart.repo',
      profile: (v) => profileText({ packs: helmPack(`{ repo: ${v}, name: web }`) }),
    },
    { path: 'spec.packs[0].chart.oci', profile: (v) => profileText({ packs: helmPack(`{ oci: ${v} }`) }) },
    {
      path: 'spec.packs[0].chart.version',
      profile: (v) => profileText({ packs: helmPack(`{ oci: "oci://r/a", version: ${v} }`) }),
    },
    { path: 'spec.packs[0].chart.path', profile: (v) => profileText({ packs: helmPack(`{ path: ${v} }`) }) },
    {
      path: 'spec.packs[0].version',
      profile: (v) =>
        profileText({ packs: helmPack('{ path: ./a }').replace('version: 1.0.0', `version: ${v}`) }),
    },
    {
      path: 'spec.packs[0].releaseName',
      profile: (v) => profileText({ packs: helmPack('{ path: ./a }', [`  releaseName: ${v}`]) }),
    },
    {
      path: 'spec.packs[0].namespace',
      profile: (v) => profileText({ packs: helmPack('{ path: ./a }', [`  namespace: ${v}`]) }),
    },
    {
      path: 'spec.packs[0].namespace.name',
      profile: (v) => profileText({ packs: helmPack('{ path: ./a }', [`  namespace: { name: ${v} }`]) }),
    },
    {
      path: 'spec.packs[0].files[0]',
      profile: (v) => profileText({ packs: manifestPack('m', `files: [${v}]`) }),
    },
  ];

  it('accepts each field with an ordinary value (so the property below can fail)', () => {
    const ordinary: Record<string, string> = {
      'spec.packs[0].chart.name': 'web',
      'spec.packs[0].chart.repo': '"https://c.example.com"',
      'spec.packs[0].chart.oci': '"oci://r/a"',
      'spec.packs[0].chart.version': '1.2.3',
      'spec.packs[0].chart.path': './a',
      'spec.packs[0].version': '1.2.3',
      'spec.packs[0].releaseName': 'web',
      'spec.packs[0].namespace': 'web',
      'spec.packs[0].namespace.name': 'web',
      'spec.packs[0].files[0]': 'a.yaml',
    };
    for (const field of FIELDS)
      expect([field.path, issuePaths(field.profile(ordinary[field.path] ?? ''))]).toEqual([field.path, []]);
  });

  it('refuses every field that reaches a subprocess when its value starts with -', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), fc.string({ maxLength: 40 }), (field, rest) => {
        const paths = issuePaths(field.profile(JSON.stringify(`-${rest}`)));
        expect(paths).toContain(field.path);
      }),
      { seed: 12, numRuns: 400 },
    );
  });
});

describe('profile rules found missing', () => {
  const pack = (name: string, layer: string, dependsOn: string) =>
    manifestPack(name, `dependsOn: ${dependsOn}`).replace('layer: addon', `layer: ${layer}`);

  it('refuses a dependsOn cycle inside one profile, at the dependency that closes it', () => {
    const text = profileText({
      packs: [pack('a', 'addon', '[b]'), pack('b', 'addon', '[c]'), pack('c', 'addon', '[a]')].join('\n'),
    });
    expect(messages(parse(text))).toEqual([
      'p.yaml:15:19 spec.packs[0].dependsOn[0]: dependency cycle: a -> b -> c -> a',
    ]);
  });

  it('leaves a dependsOn naming a pack of another profile to the cluster check', () => {
    expect(parse(profileText({ type: 'add-on', packs: pack('a', 'addon', '[cni]') })).ok).toBe(true);
  });

  it('refuses an addon pack in an infra profile and an infra pack in an add-on profile', () => {
    expect(messages(parse(profileText({ type: 'infra', packs: pack('a', 'addon', '[]') })))).toEqual([
      'p.yaml:10:14 spec.packs[0].layer: expected one of os, k8s, cni, csi in an infra profile; got "addon"',
    ]);
    expect(messages(parse(profileText({ type: 'add-on', packs: pack('a', 'cni', '[]') })))).toEqual([
      'p.yaml:10:14 spec.packs[0].layer: expected one of addon in an add-on profile; got "cni"',
    ]);
  });

  it('refuses `packs: []`', () => {
    expect(messages(parse(profileText({ packs: '[]' }).replace('packs:\n    []', 'packs: []')))).toEqual([
      'p.yaml:8:10 spec.packs: expected at least one pack; got an empty list',
    ]);
  });

  it(`refuses more than ${MAX_VARIABLES} variables in a new version, at the first one past it; a stored version loads`, () => {
    // A request sets at most MAX_VARIABLES values, so a required variable past them could never be given.
    const variables = (count: number) =>
      Array.from({ length: count }, (_, i) => `- { name: v${i}, required: true }`).join('\n');
    const text = profileText({ variables: variables(MAX_VARIABLES + 1), packs: manifestPack('a') });
    // Line 9 holds the first variable.
    expect(messages(parse(text))).toEqual([
      `p.yaml:${9 + MAX_VARIABLES}:7 spec.variables[${MAX_VARIABLES}]: expected at most ${MAX_VARIABLES} variables (a request sets at most ${MAX_VARIABLES} values); got ${MAX_VARIABLES + 1}`,
    ]);
    expect(parseProfiles(text, { file: 'p.yaml', storedVersion: true }).ok).toBe(true);
    expect(parse(profileText({ variables: variables(MAX_VARIABLES), packs: manifestPack('a') })).ok).toBe(
      true,
    );
  });

  it('lists the declared variables once, and 20 of them at most, however many macros name unknown ones', () => {
    const variables = Array.from({ length: 30 }, (_, i) => `- name: v${i}`).join('\n');
    const packs = ['a', 'b', 'c']
      .map((name) =>
        manifestPack(name).replace(
          'metadata: { name: cm }',
          `metadata: { name: "{{ .strata.var.zz${name} }}" }`,
        ),
      )
      .join('\n');
    const found = messages(parse(profileText({ variables, packs })));
    expect(found.map((line) => line.replace(/^p\.yaml:\d+:\d+ /, ''))).toEqual([
      `spec.packs[0].manifests[0].metadata.name: unknown variable "zza" in {{ .strata.var.zza }} (pack "a"); declared: ${Array.from({ length: 20 }, (_, i) => `v${i}`).join(', ')} and 10 more`,
      'spec.packs[1].manifests[0].metadata.name: unknown variable "zzb" in {{ .strata.var.zzb }} (pack "b")',
      'spec.packs[2].manifests[0].metadata.name: unknown variable "zzc" in {{ .strata.var.zzc }} (pack "c")',
    ]);
  });

  it('refuses two documents with the same name@version in one file, pointing at the second', () => {
    const one = profileText({ packs: manifestPack('a') });
    expect(messages(parse(`${one}---\n${one}`))).toEqual([
      'p.yaml:19:9 metadata.name: duplicate profile demo@1.0.0 in this file; first defined at line 4',
    ]);
    expect(parse(`${one}---\n${one.replace('version: 1.0.0\n  type', 'version: 1.1.0\n  type')}`).ok).toBe(
      true,
    );
  });
});

describe('errors never echo a file the hub read', () => {
  it('says what is wrong with a manifest file without quoting its content', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'strata-echo-'));
    await writeFile(path.join(dir, 'token.yaml'), 'CANARY-3f9a1c-admin-token\n');
    const result = await loadProfileText(profileText({ packs: manifestPack('m', 'files: [token.yaml]') }), {
      files: diskFiles(dir),
      displayName: 'profile.yaml',
    });
    expect(messages(result)).toEqual([
      'token.yaml:1:1 spec.packs[0].files[0][document 0]: expected a Kubernetes object with apiVersion, kind and metadata.name; got a string',
    ]);
  });

  it('still quotes inline manifest text the caller sent', () => {
    const text = profileText({
      packs: manifestPack('m').replace(/manifests:\n.*\n?/, 'manifests: |\n      just-text\n'),
    });
    expect(messages(parse(text)).join('\n')).toContain('got "just-text"');
  });
});
