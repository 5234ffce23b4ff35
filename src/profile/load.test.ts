import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadProfileFile, loadProfileText } from './load.js';
import { MAX_PROFILE_BYTES } from './parse.js';
import { messages, profileText } from './testing.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'strata-profile-'));
  await mkdir(path.join(dir, 'charts/good/templates'), { recursive: true });
  await writeFile(path.join(dir, 'charts/good/Chart.yaml'), 'apiVersion: v2\nname: good\nversion: 0.1.0\n');
  await mkdir(path.join(dir, 'charts/empty'), { recursive: true });
  await writeFile(
    path.join(dir, 'cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: "{{ .strata.cluster.name }}" }\n',
  );
  await writeFile(path.join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: [oops }\n');
});

const helm = (name: string, chartPath: string) =>
  `- name: ${name}\n  layer: addon\n  version: 1.0.0\n  type: helm\n  chart: { path: ${chartPath} }`;
const manifest = (name: string, files: string) =>
  `- name: ${name}\n  layer: addon\n  version: 1.0.0\n  type: manifest\n  files: ${files}`;

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('loadProfileFile', () => {
  it('loads local charts and manifest files relative to the profile file', async () => {
    const file = await write(
      'ok.yaml',
      profileText({ packs: `${helm('a', 'charts/good')}\n${manifest('b', '[cm.yaml]')}` }),
    );
    const result = await loadProfileFile(file, { displayName: 'ok.yaml' });
    expect(result.ok && result.value[0]?.fileManifests.get('cm.yaml')).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '{{ .strata.cluster.name }}' } },
    ]);
  });

  it('reports missing charts, chart directories without Chart.yaml, and missing files, all at once', async () => {
    const file = await write(
      'missing.yaml',
      profileText({
        packs: [helm('a', 'charts/nope'), helm('b', 'charts/empty'), manifest('c', '[gone.yaml]')].join('\n'),
      }),
    );
    expect(messages(await loadProfileFile(file, { displayName: 'missing.yaml' }))).toEqual([
      'missing.yaml:13:22 spec.packs[0].chart.path: chart not found: "charts/nope" (relative to the profile file)',
      'missing.yaml:18:22 spec.packs[1].chart.path: chart directory has no Chart.yaml: "charts/empty" (relative to the profile file)',
      'missing.yaml:23:15 spec.packs[2].files[0]: file not found: "gone.yaml" (relative to the profile file)',
    ]);
  });

  it('reports YAML errors inside a manifest file at their own position', async () => {
    const file = await write('badref.yaml', profileText({ packs: manifest('c', '[bad.yaml]') }));
    expect(messages(await loadProfileFile(file, { displayName: 'badref.yaml' }))[0]).toMatch(
      /^bad\.yaml:3:\d+ spec\.packs\[0\]\.files\[0\]: invalid YAML: /,
    );
  });

  it('rejects a file over 1 MiB without reading it', async () => {
    const file = await write('huge.yaml', `# ${'x'.repeat(MAX_PROFILE_BYTES)}\n`);
    expect(messages(await loadProfileFile(file, { displayName: 'huge.yaml' }))).toEqual([
      `huge.yaml:1:1 file is ${MAX_PROFILE_BYTES + 3} bytes; the limit is 1048576 (1 MiB)`,
    ]);
  });

  it('reports a profile file that does not exist', async () => {
    expect(
      messages(await loadProfileFile(path.join(dir, 'nothing.yaml'), { displayName: 'nothing.yaml' })),
    ).toEqual(['nothing.yaml:1:1 cannot read file: no such file']);
  });
});

describe('loadProfileText', () => {
  it('resolves local charts and files against the folder of the file it names, without that file existing', async () => {
    const text = profileText({ packs: `${helm('a', 'charts/good')}\n${manifest('b', '[cm.yaml]')}` });
    const result = await loadProfileText(text, {
      file: path.join(dir, 'uploaded.yaml'),
      displayName: 'upload',
    });
    expect(result.ok && result.value[0]?.fileManifests.has('cm.yaml')).toBe(true);
    expect(result.ok && result.value[0]?.path).toBe(path.join(dir, 'uploaded.yaml'));
  });

  it('names the upload in issues and refuses text over 1 MiB', async () => {
    const missing = await loadProfileText(profileText({ packs: helm('a', 'charts/nope') }), {
      file: path.join(dir, 'x.yaml'),
      displayName: 'upload.yaml',
    });
    expect(messages(missing)[0]).toMatch(/^upload\.yaml:\d+:\d+ spec\.packs\[0\]\.chart\.path: /);
    const large = await loadProfileText('#'.repeat(MAX_PROFILE_BYTES + 1), {
      file: path.join(dir, 'big.yaml'),
    });
    expect(messages(large)[0]).toContain('the limit is 1048576 (1 MiB)');
  });
});
