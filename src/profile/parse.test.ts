import { describe, expect, it } from 'vitest';
import { IssueKind } from './errors.js';
import { MAX_PROFILE_BYTES, parseProfile, parseProfiles } from './parse.js';
import { manifestPack, messages, parseOk, profileText } from './testing/profiles.js';

const parse = (text: string) => parseProfile(text, { file: 'profile.yaml' });

describe('parseProfile: a valid profile', () => {
  it('applies defaults a user relies on: priority 0, timeout 10m, release name = pack name, namespace default', () => {
    const { profile } = parseOk(
      profileText({
        packs: `
- name: web
  layer: addon
  version: 1.0.0
  type: helm
  chart: { repo: "https://charts.example.com", name: web-chart }`,
      }),
    );
    expect(profile.spec.packs[0]).toMatchObject({
      name: 'web',
      installPriority: 0,
      prioritySource: 'default',
      timeoutMs: 600_000,
      releaseName: 'web',
      namespace: { name: 'default', create: true, labels: {}, annotations: {} },
      chart: { kind: 'repo', repo: 'https://charts.example.com', name: 'web-chart', version: '1.0.0' },
      values: {},
      dependsOn: [],
    });
  });

  it('accepts values as a YAML string or a mapping, and oci charts', () => {
    const { profile } = parseOk(
      profileText({
        packs: `
- name: a
  layer: addon
  version: 1.0.0
  type: helm
  chart: { oci: "oci://ghcr.io/org/charts/a", version: 2.0.0 }
  values: |
    replicas: 3
    image: { tag: v1 }
- name: b
  layer: addon
  version: 1.0.0
  type: helm
  chart: { path: ./charts/b }
  values: { replicas: 2 }`,
      }),
    );
    const [a, b] = profile.spec.packs;
    expect(a).toMatchObject({ chart: { kind: 'oci', ref: 'oci://ghcr.io/org/charts/a', version: '2.0.0' } });
    expect(a).toMatchObject({ values: { replicas: 3, image: { tag: 'v1' } } });
    expect(b).toMatchObject({ chart: { kind: 'local', path: './charts/b' }, values: { replicas: 2 } });
  });

  it('reads the Palette pack block for priority and namespace, and strips it from the values', () => {
    const { profile } = parseOk(
      profileText({
        packs: `
- name: a
  layer: addon
  version: 1.0.0
  type: helm
  chart: { path: ./a }
  values:
    pack:
      namespace: monitoring
      spectrocloud.com/install-priority: "10"
    replicas: 1`,
      }),
    );
    expect(profile.spec.packs[0]).toMatchObject({
      installPriority: 10,
      prioritySource: 'values-pack-block',
      namespace: { name: 'monitoring' },
      values: { replicas: 1 },
    });
    expect(profile.spec.packs[0]).not.toHaveProperty('values.pack');
  });

  it('gives the pack fields precedence over the Palette pack block', () => {
    const { profile } = parseOk(
      profileText({
        packs: `
- name: a
  layer: addon
  version: 1.0.0
  type: helm
  chart: { path: ./a }
  installPriority: -3
  namespace: { name: mine, labels: { team: a }, create: false }
  values: { pack: { namespace: theirs, spectrocloud.com/install-priority: 10 } }`,
      }),
    );
    expect(profile.spec.packs[0]).toMatchObject({
      installPriority: -3,
      prioritySource: 'pack',
      namespace: { name: 'mine', labels: { team: 'a' }, create: false },
      values: {},
    });
  });

  it('parses durations like 90s, 10m and 1h30m', () => {
    const timeouts = ['90s', '10m', '1h30m'].map((timeout) => {
      const { profile } = parseOk(profileText({ packs: manifestPack('a', `timeout: ${timeout}`) }));
      return profile.spec.packs[0]?.timeoutMs;
    });
    expect(timeouts).toEqual([90_000, 600_000, 5_400_000]);
  });

  it('reads several profiles from one file separated by ---, ignoring empty documents', () => {
    const text = `${profileText({ name: 'one', packs: manifestPack('a') })}---\n${profileText({ name: 'two', packs: manifestPack('b') })}---\n`;
    const result = parseProfiles(text, { file: 'p.yaml' });
    expect(result.ok && result.value.map((p) => p.profile.metadata.name)).toEqual(['one', 'two']);
  });
});

describe('parseProfile: bad input gives every problem, positioned', () => {
  it('reports the example from the issue exactly', () => {
    const text = profileText({ packs: manifestPack('a', '').replace('layer: addon', 'layer: network') });
    expect(messages(parse(text))).toEqual([
      'profile.yaml:10:14 spec.packs[0].layer: expected one of os, k8s, cni, csi, addon; got "network"',
    ]);
  });

  it('reports malformed YAML with its position', () => {
    expect(
      messages(parse('apiVersion: strata.dev/v1alpha1\nkind: [ClusterProfile\nmetadata: {}\n'))[0],
    ).toMatch(/^profile\.yaml:3:\d+ invalid YAML: /);
  });

  it('reports duplicate keys as YAML errors', () => {
    const text = profileText({ packs: manifestPack('a', 'version: 2.0.0') });
    expect(messages(parse(text))).toEqual(['profile.yaml:15:7 invalid YAML: Map keys must be unique']);
  });

  it('reports wrong types, missing fields and unknown fields together, with "did you mean"', () => {
    const text = [
      'apiVersion: strata.dev/v1alpha1',
      'kind: ClusterProfile',
      'metdata:',
      '  name: demo',
      'spec:',
      '  version: 1.0',
      '  type: full',
      '  packs:',
      '    - name: a',
      '      layer: addon',
      '      version: 1.0.0',
      '      type: manifest',
      '      dependson: [b]',
      '      installPriority: high',
      '      manifests: []',
      '',
    ].join('\n');
    expect(messages(parse(text))).toEqual([
      'profile.yaml:1:1 metadata: required field missing; expected a mapping',
      'profile.yaml:6:12 spec.version: expected a string; got 1',
      'profile.yaml:14:24 spec.packs[0].installPriority: expected an integer; got "high"',
      'profile.yaml:13:7 spec.packs[0].dependson: unknown field; did you mean "dependsOn"?',
      'profile.yaml:3:1 metdata: unknown field; did you mean "metadata"?',
    ]);
  });

  it('lists the known fields when an unknown one is not a near miss', () => {
    const text = profileText({ packs: manifestPack('a', 'colour: blue') });
    expect(messages(parse(text))).toEqual([
      'profile.yaml:15:7 spec.packs[0].colour: unknown field; expected one of name, layer, version, installPriority, dependsOn, timeout, namespace, healthGrace, type, manifests, files',
    ]);
  });

  it("reports a bad pack type and still checks the pack's other fields", () => {
    const text = profileText({ packs: '- name: a\n  version: 1.0.0\n  type: hlm\n  chart: { path: x }' });
    expect(messages(parse(text))).toEqual([
      'profile.yaml:11:13 spec.packs[0].type: expected one of helm, manifest; got "hlm" (did you mean "helm"?)',
      'profile.yaml:9:7 spec.packs[0].layer: required field missing; expected one of os, k8s, cni, csi, addon',
    ]);
  });

  it('rejects duplicate pack names within a profile', () => {
    const text = profileText({ packs: `${manifestPack('a')}\n${manifestPack('a')}` });
    expect(messages(parse(text))).toEqual([
      'profile.yaml:15:13 spec.packs[1].name: duplicate pack name "a"; first used by spec.packs[0]',
    ]);
  });

  it('rejects a pack that depends on itself, naming the cycle', () => {
    const text = profileText({ packs: manifestPack('a', 'dependsOn: [a]') });
    expect(messages(parse(text))).toEqual([
      'profile.yaml:15:19 spec.packs[0].dependsOn[0]: pack "a" depends on itself: a -> a',
    ]);
  });

  it('rejects invalid semver and invalid durations', () => {
    const text = profileText({
      version: '"1.2"',
      packs: manifestPack('a', 'timeout: 10 minutes').replace('version: 1.0.0', 'version: v1.0.0'),
    });
    expect(messages(parse(text))).toEqual([
      'profile.yaml:6:12 spec.version: expected a semantic version like 1.2.3; got "1.2"',
      'profile.yaml:11:16 spec.packs[0].version: expected a semantic version like 1.2.3; got "v1.0.0"',
      'profile.yaml:15:16 spec.packs[0].timeout: expected a duration like 90s, 10m or 1h30m; got "10 minutes"',
    ]);
  });

  it('rejects a zero timeout', () => {
    const text = profileText({ packs: manifestPack('a', 'timeout: 0s') });
    expect(messages(parse(text))).toEqual([
      'profile.yaml:15:16 spec.packs[0].timeout: expected a positive duration like 90s, 10m or 1h30m; got "0s"',
    ]);
  });

  it('rejects a chart with no source or two sources', () => {
    const pack = (chart: string) =>
      profileText({ packs: `- name: a\n  layer: addon\n  version: 1.0.0\n  type: helm\n  chart: ${chart}` });
    expect(messages(parse(pack('{}')))).toEqual([
      'profile.yaml:13:14 spec.packs[0].chart: expected exactly one chart source: path, repo (with name) or oci; got none',
    ]);
    expect(messages(parse(pack('{ path: ./a, oci: "oci://r/a" }')))).toEqual([
      'profile.yaml:13:14 spec.packs[0].chart: expected exactly one chart source: path, repo (with name) or oci; got path and oci',
    ]);
    expect(messages(parse(pack('{ repo: "https://x.io" }')))).toEqual([
      'profile.yaml:13:14 spec.packs[0].chart.name: required field missing; a repo chart needs the chart name',
    ]);
  });

  it('points into a values block scalar at the bad line', () => {
    const text = profileText({
      packs: `
- name: a
  layer: addon
  version: 1.0.0
  type: helm
  chart: { path: ./a }
  values: |
    replicas: 1
    image: [unclosed`,
    });
    expect(messages(parse(text))[0]).toMatch(
      /^profile\.yaml:17:\d+ spec\.packs\[0\]\.values: invalid YAML: /,
    );
  });

  it('rejects unknown keys in the Palette pack block and a non-integer priority', () => {
    const text = profileText({
      packs: `
- name: a
  layer: addon
  version: 1.0.0
  type: helm
  chart: { path: ./a }
  values:
    pack:
      namespce: x
      spectrocloud.com/install-priority: soon`,
    });
    expect(messages(parse(text))).toEqual([
      'profile.yaml:16:11 spec.packs[0].values.pack.namespce: unknown field in the Palette pack block; did you mean "namespace"?',
      'profile.yaml:17:46 spec.packs[0].values.pack["spectrocloud.com/install-priority"]: expected an integer like "10"; got "soon"',
    ]);
  });

  it('rejects more than one document where one profile is expected', () => {
    const text = `${profileText({ name: 'one', packs: manifestPack('a') })}---\n${profileText({ name: 'two', packs: manifestPack('b') })}`;
    expect(messages(parse(text))).toEqual(['profile.yaml:16:1 expected one profile document; got 2']);
  });

  it('rejects an empty file and a file that is not a mapping', () => {
    expect(messages(parse(''))).toEqual([
      'profile.yaml:1:1 expected a ClusterProfile document; the file is empty',
    ]);
    expect(messages(parse('- a\n- b\n'))).toEqual([
      'profile.yaml:1:1 expected a ClusterProfile mapping; got a list',
    ]);
  });

  it('rejects a file over 1 MiB before parsing it', () => {
    const result = parse(`# ${'x'.repeat(MAX_PROFILE_BYTES)}\n`);
    expect(messages(result)).toEqual([
      `profile.yaml:1:1 file is ${MAX_PROFILE_BYTES + 3} bytes; the limit is 1048576 (1 MiB)`,
    ]);
    expect(!result.ok && result.issues[0]?.kind).toBe(IssueKind.TooLarge);
  });

  it('survives alias bombs', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
      ),
    ].join('\n');
    expect(messages(parse(bomb))[0]).toMatch(/^profile\.yaml:1:1 invalid YAML: /);
  });

  it('rejects bad names, variable names and kube objects in manifests', () => {
    const text = profileText({
      name: 'Demo_Profile',
      variables: '- name: 1bad',
      packs: manifestPack('a').replace(
        '- { apiVersion: v1, kind: ConfigMap, metadata: { name: cm } }',
        '- { kind: ConfigMap }',
      ),
    });
    expect(messages(parse(text))).toEqual([
      'profile.yaml:4:9 metadata.name: expected a DNS-1123 label (lowercase letters, digits and -, starting and ending with a letter or digit); got "Demo_Profile"',
      'profile.yaml:9:13 spec.variables[0].name: expected a name of letters, digits and _; got "1bad"',
      'profile.yaml:16:11 spec.packs[0].manifests[0].apiVersion: required field missing; expected a string',
      'profile.yaml:16:11 spec.packs[0].manifests[0].metadata: required field missing; expected a mapping',
    ]);
  });
});
