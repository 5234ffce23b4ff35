import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { maskSensitiveDefaults } from './sensitive-defaults.js';

const source = [
  '# a profile stored before sensitive defaults were refused',
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata: { name: sec }',
  'spec:',
  '  version: 1.0.0',
  '  variables:',
  '    - { name: pw, sensitive: true, default: "Hunter2-DefaultSecret" }',
  '    - name: region # shown: not sensitive',
  '      default: eu-west',
  '    - name: cert',
  '      sensitive: true',
  '      default: |',
  '        -----BEGIN SECRET-----',
  '      description: after the block',
  '    - { name: off, sensitive: false, default: visible }',
  '  packs: []',
  '',
].join('\n');

describe('maskSensitiveDefaults (review 10, finding 4)', () => {
  it('masks the default of each sensitive variable, and changes nothing else', () => {
    const masked = maskSensitiveDefaults(source);
    expect(masked).not.toContain('Hunter2');
    expect(masked).not.toContain('BEGIN SECRET');
    expect(masked).toBe(
      source
        .replace('"Hunter2-DefaultSecret"', '"******"')
        .replace('|\n        -----BEGIN SECRET-----', '"******"'),
    );
  });

  it('masks in every document of a file, and leaves a source without any as it is', () => {
    const two = `${source}---\n${source.replace('name: sec', 'name: sec2')}`;
    const masked = maskSensitiveDefaults(two);
    expect(masked).not.toMatch(/Hunter2|BEGIN SECRET/);
    expect(parseAllDocuments(masked)).toHaveLength(2);
    const plain = source.replaceAll('sensitive: true', 'sensitive: false');
    expect(maskSensitiveDefaults(plain)).toBe(plain);
  });
});
