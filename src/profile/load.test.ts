import { mkdtemp, mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleFiles } from './bundle.js';
import { diskFiles } from './disk-files.js';
import { loadProfileFile, loadProfileText } from './load.js';
import { MAX_PROFILE_BYTES } from './parse.js';
import { messages, profileText } from './testing/profiles.js';

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
  it('reads local charts and files through the source it is given, and lists them as references', async () => {
    const text = profileText({ packs: `${helm('a', './charts/good/')}\n${manifest('b', '[cm.yaml]')}` });
    const result = await loadProfileText(text, { files: diskFiles(dir), displayName: 'upload' });
    expect(result.ok && result.value[0]?.fileManifests.has('cm.yaml')).toBe(true);
    expect(result.ok && result.value[0]?.chartFiles.get('./charts/good/')).toBe(
      path.join(await realpath(dir), 'charts/good'),
    );
    expect(result.ok && result.value[0]?.references).toEqual([
      { kind: 'chart', path: 'charts/good' },
      { kind: 'file', path: 'cm.yaml' },
    ]);
  });

  it('names the upload in issues and refuses text over 1 MiB', async () => {
    const missing = await loadProfileText(profileText({ packs: helm('a', 'charts/nope') }), {
      files: diskFiles(dir),
      displayName: 'upload.yaml',
    });
    expect(messages(missing)[0]).toMatch(/^upload\.yaml:\d+:\d+ spec\.packs\[0\]\.chart\.path: /);
    const large = await loadProfileText('#'.repeat(MAX_PROFILE_BYTES + 1), {
      files: diskFiles(dir),
      displayName: 'big.yaml',
    });
    expect(messages(large)[0]).toContain('the limit is 1048576 (1 MiB)');
  });

  it('refuses absolute paths, .. and symlinks that leave the folder, each at its position', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'strata-outside-'));
    await writeFile(
      path.join(outside, 'secret.yaml'),
      'kind: Secret\nstringData: { token: s3cr3t-canary }\n',
    );
    await symlink(path.join(outside, 'secret.yaml'), path.join(dir, 'escape.yaml'));
    await symlink(outside, path.join(dir, 'escape-chart'));
    // Absolute paths and `..` are refused by the grammar when the profile is parsed; symlinks that leave the
    // folder only by the disk source, once the profile parses.
    const grammar = profileText({
      packs: [
        manifest('a', `[${path.join(outside, 'secret.yaml')}]`),
        manifest('b', '[../secret.yaml]'),
        helm('e', '/etc'),
      ].join('\n'),
    });
    const links = profileText({
      packs: [manifest('c', '[escape.yaml]'), helm('d', 'escape-chart')].join('\n'),
    });
    const refusedByGrammar = messages(
      await loadProfileText(grammar, { files: diskFiles(dir), displayName: 'p.yaml' }),
    );
    const refusedOnDisk = messages(
      await loadProfileText(links, { files: diskFiles(dir), displayName: 'p.yaml' }),
    );
    expect(refusedByGrammar).toEqual([
      expect.stringMatching(
        /^p\.yaml:\d+:\d+ spec\.packs\[0\]\.files\[0\]: .*expected a path relative to the profile file/,
      ),
      expect.stringMatching(
        /^p\.yaml:\d+:\d+ spec\.packs\[1\]\.files\[0\]: .*"\.\.\/secret\.yaml" \(\.\. is not allowed; the path must stay inside the profile folder\)$/,
      ),
      expect.stringMatching(
        /spec\.packs\[2\]\.chart\.path: .*"\/etc" \(expected a path relative to the profile file\)/,
      ),
    ]);
    expect(refusedOnDisk).toEqual([
      expect.stringMatching(
        /spec\.packs\[0\]\.files\[0\]: file leaves the profile's folder through a symlink: "escape\.yaml"/,
      ),
      expect.stringMatching(
        /spec\.packs\[1\]\.chart\.path: chart leaves the profile's folder through a symlink/,
      ),
    ]);
    const result = [...refusedByGrammar, ...refusedOnDisk];
    expect(result.join('\n')).not.toContain('s3cr3t-canary');
  });

  it('refuses a repeated key in a manifest file at the repeat, with the message it always gave', async () => {
    const content = Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n');
    const files = bundleFiles(new Map([['cm.yaml', { path: 'cm.yaml', content, sha256: '' }]]));
    const text = profileText({ packs: manifest('c', '[cm.yaml]') });
    expect(messages(await loadProfileText(text, { files, displayName: 'up/p.yaml' }))).toEqual([
      'up/cm.yaml:5:3 spec.packs[0].files[0]: invalid YAML: Map keys must be unique',
    ]);
  });

  it('reads nothing from disk through an empty upload: every local reference is missing from it', async () => {
    const text = profileText({ packs: `${helm('a', 'charts/good')}\n${manifest('b', '[cm.yaml]')}` });
    const files = bundleFiles(new Map());
    expect(messages(await loadProfileText(text, { files, displayName: 'up.yaml' }))).toEqual([
      expect.stringContaining('chart.path: not in the upload'),
      expect.stringContaining('files[0]: not in the upload'),
    ]);
  });
});
