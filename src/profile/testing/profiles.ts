// Helpers shared by this folder's tests: small profile texts to vary one thing at a time.
import { formatIssues, type ProfileResult } from '../errors.js';
import { parseProfile, type ParsedProfile } from '../parse.js';

export function profileText(options: {
  name?: string;
  type?: string;
  version?: string;
  variables?: string;
  packs: string;
}): string {
  return [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata:',
    `  name: ${options.name ?? 'demo'}`,
    'spec:',
    `  version: ${options.version ?? '1.0.0'}`,
    `  type: ${options.type ?? 'full'}`,
    ...(options.variables === undefined ? [] : ['  variables:', indent(options.variables, 4)]),
    '  packs:',
    indent(options.packs, 4),
    '',
  ].join('\n');
}

export function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .trim()
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

/** A manifest pack with one ConfigMap, as YAML list item. */
export function manifestPack(name: string, extra = ''): string {
  return [
    `- name: ${name}`,
    '  layer: addon',
    '  version: 1.0.0',
    '  type: manifest',
    '  manifests:',
    '    - { apiVersion: v1, kind: ConfigMap, metadata: { name: cm } }',
    ...(extra === '' ? [] : [indent(extra, 2)]),
  ].join('\n');
}

export function messages(result: ProfileResult<unknown>): string[] {
  return result.ok ? [] : formatIssues(result.issues).split('\n');
}

export function parseOk(text: string, file = 'profile.yaml'): ParsedProfile {
  const result = parseProfile(text, { file });
  if (!result.ok) throw new Error(`expected a valid profile:\n${formatIssues(result.issues)}`);
  return result.value;
}
