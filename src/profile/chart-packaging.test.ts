import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleFolder, readBundle, writeTarGz } from './bundle.js';
import { bundleProfileFile } from './bundle-file.js';
import { helmIgnoreRules } from './helmignore.js';
import { profileText } from './testing/profiles.js';

/** Writes `files` (path → text) under a new temp folder and returns it. */
function folder(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-chart-packaging-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

const library = writeTarGz([
  {
    path: 'common/Chart.yaml',
    content: Buffer.from('apiVersion: v2\nname: common\nversion: 0.1.0\ntype: library\n'),
  },
  {
    path: 'common/templates/_helpers.tpl',
    content: Buffer.from('{{- define "common.name" -}}x{{- end -}}\n'),
  },
]);

describe('a local chart folder in a bundle', () => {
  it('travels with its charts/ folder and .tgz subcharts, leaving out what .helmignore names', async () => {
    const dir = folder({
      'profile.yaml': profileText({
        packs: '- name: app\n  layer: addon\n  version: 1.0.0\n  type: helm\n  chart: { path: charts/app }',
      }),
      'charts/app/Chart.yaml':
        'apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - { name: sub, version: 0.1.0, condition: sub.enabled }\n  - { name: common, version: 0.1.0 }\n',
      'charts/app/.helmignore': '# editor files\n*.bak\nsecrets/\n/notes.md\n',
      'charts/app/values.yaml': 'sub: { enabled: true }\n',
      'charts/app/values.yaml.bak': 'old\n',
      'charts/app/notes.md': 'not part of the chart\n',
      'charts/app/docs/notes.md': 'kept: the rule is anchored to the top\n',
      'charts/app/secrets/token': 'never packaged\n',
      'charts/app/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app }\n',
      'charts/app/templates/.swp': 'editor swap file: Helm never reads dotfiles in templates/\n',
      'charts/app/templates/NOTES.txt': 'Installed {{ .Release.Name }}\n',
      'charts/app/values.schema.json': '{"type":"object"}\n',
      'charts/app/charts/sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 0.1.0\n',
      'charts/app/charts/sub/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: sub }\n',
      'charts/app/charts/common-0.1.0.tgz': library,
    });
    const result = await bundleProfileFile(path.join(dir, 'profile.yaml'));
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const bundle = result.value.bundle;
    if (!bundle) throw new Error('expected a bundle');
    const files = await bundleFolder(await readBundle(bundle), new Set(['charts/app']));
    expect(files.map((f) => f.path).sort()).toEqual([
      'charts/app/.helmignore',
      'charts/app/Chart.yaml',
      'charts/app/charts/common-0.1.0.tgz',
      'charts/app/charts/sub/Chart.yaml',
      'charts/app/charts/sub/templates/cm.yaml',
      'charts/app/docs/notes.md',
      'charts/app/templates/NOTES.txt',
      'charts/app/templates/cm.yaml',
      'charts/app/values.schema.json',
      'charts/app/values.yaml',
      'profile.yaml',
    ]);
    // The library chart archive travels byte for byte.
    expect(files.find((f) => f.path === 'charts/app/charts/common-0.1.0.tgz')?.content.equals(library)).toBe(
      true,
    );
  });

  it('refuses a .helmignore Helm would refuse, naming the chart and the line', async () => {
    const dir = folder({
      'profile.yaml': profileText({
        packs: '- name: app\n  layer: addon\n  version: 1.0.0\n  type: helm\n  chart: { path: charts/app }',
      }),
      'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
      'charts/app/.helmignore': '*.tmp\nbuild/**/out\n',
    });
    const result = await bundleProfileFile(path.join(dir, 'profile.yaml'));
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.issues[0]?.message).toBe(
      'cannot pack "charts/app": charts/app: .helmignore line 2: double-star (**) syntax is not supported (as in Helm)',
    );
  });
});

describe('helmIgnoreRules', () => {
  it("reads patterns as Helm's pkg/ignore does", () => {
    const ignore = helmIgnoreRules('*.tgz\nci/\n/top.txt\nsub/*.yaml\nfile[0-9].txt\n');
    expect(ignore('a.tgz', false)).toBe(true);
    expect(ignore('charts/sub-0.1.0.tgz', false)).toBe(true);
    expect(ignore('ci', true)).toBe(true);
    expect(ignore('ci', false)).toBe(false);
    expect(ignore('top.txt', false)).toBe(true);
    expect(ignore('deep/top.txt', false)).toBe(false);
    expect(ignore('sub/x.yaml', false)).toBe(true);
    expect(ignore('sub/deeper/x.yaml', false)).toBe(false);
    expect(ignore('file7.txt', false)).toBe(true);
    expect(ignore('fileX.txt', false)).toBe(false);
    expect(ignore('templates/.hidden', false)).toBe(true);
    expect(ignore('templates/visible.yaml', false)).toBe(false);
  });

  it('reads `!` as Helm does: a negated rule ignores what it does not match', () => {
    const ignore = helmIgnoreRules('!keep.txt\n');
    expect(ignore('keep.txt', false)).toBe(false);
    expect(ignore('other.txt', false)).toBe(true);
  });
});
