import { describe, expect, it } from 'vitest';
import { resolveProfile, type Pack } from '../profile/index.js';
import { parseOk, profileText } from '../profile/testing/profiles.js';
import { DIFF_LINE_LIMIT, describePackChanges } from './pack-diff.js';

/** The first pack of a profile, resolved with `values` the way the hub resolves it, with its redactor. */
function resolved(packs: string, values: Record<string, string> = {}, variables?: string) {
  const parsed = parseOk(profileText({ packs, ...(variables === undefined ? {} : { variables }) }));
  const result = resolveProfile(parsed, { clusterName: 'dev', values });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  const pack = result.value.packs[0] as Pack;
  return { pack, redactor: result.value.redactor };
}

const web = (image: string, extra = '') =>
  [
    '- name: web',
    '  layer: addon',
    '  version: 1.0.0',
    '  type: manifest',
    '  manifests:',
    '    - apiVersion: apps/v1',
    '      kind: Deployment',
    '      metadata: { name: web }',
    `      spec: { replicas: 1, template: { spec: { containers: [{ name: web, image: "${image}" }] } } }`,
    extra,
  ].join('\n');

describe('describePackChanges', () => {
  it('says nothing for the same definition', () => {
    expect(describePackChanges(resolved(web('a:1')), resolved(web('a:1')))).toEqual([]);
  });

  it('names each changed field with its old and new value, objects by kind and name', () => {
    const before = resolved(web('registry.example/web:1.0.0'));
    const after = resolved(
      web(
        'registry.example/web:1.1.0',
        '    - { apiVersion: v1, kind: ConfigMap, metadata: { name: web-config }, data: { a: "1" } }',
      ).replace('version: 1.0.0', 'version: 1.1.0'),
    );
    expect(describePackChanges(before, after)).toEqual([
      'manifests["Deployment web"].spec.template.spec.containers[0].image: "registry.example/web:1.0.0" → "registry.example/web:1.1.0"',
      'manifests["ConfigMap web-config"]: added',
      'version: "1.0.0" → "1.1.0"',
    ]);
  });

  it('masks sensitive values on both sides, and still says when only a sensitive value changed', () => {
    const variables = '- { name: token, sensitive: true, required: true }';
    const pack = web('a:1').replace('image: "a:1"', 'image: "a:1", args: ["{{ .strata.var.token }}"]');
    const before = resolved(pack, { token: 'old-secret-1' }, variables);
    const after = resolved(pack, { token: 'new-secret-2' }, variables);
    const lines = describePackChanges(before, after);
    expect(lines).toEqual(['a sensitive value changed']);
    const both = describePackChanges(
      before,
      resolved(pack.replace('a:1', 'a:2'), { token: 'new-secret-2' }, variables),
    );
    expect(both.join('\n')).toContain('"a:1" → "a:2"');
    expect(both.join('\n')).not.toMatch(/old-secret-1|new-secret-2/);
  });

  it(`lists at most ${DIFF_LINE_LIMIT} changes, then how many more`, () => {
    const many = (v: string) =>
      [
        '- name: cfg',
        '  layer: addon',
        '  version: 1.0.0',
        '  type: manifest',
        '  manifests:',
        `    - { apiVersion: v1, kind: ConfigMap, metadata: { name: c }, data: { ${Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}: "${v}"`).join(', ')} } }`,
      ].join('\n');
    const lines = describePackChanges(resolved(many('x')), resolved(many('y')));
    expect(lines).toHaveLength(DIFF_LINE_LIMIT + 1);
    expect(lines.at(-1)).toBe(`… and ${20 - DIFF_LINE_LIMIT} more`);
  });

  it('reports list length changes of plain lists, and added or removed fields', () => {
    const helm = (values: string) =>
      [
        '- name: app',
        '  layer: addon',
        '  version: 1.0.0',
        '  type: helm',
        '  chart: { path: charts/app }',
        `  values: ${values}`,
      ].join('\n');
    expect(
      describePackChanges(
        resolved(helm('{ hosts: [a, b], debug: true }')),
        resolved(helm('{ hosts: [a, b, c], replicas: 2 }')),
      ),
    ).toEqual(['values.debug: removed (was true)', 'values.hosts: 2 → 3 items', 'values.replicas: added 2']);
  });
});
