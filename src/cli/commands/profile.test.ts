// `strata profile apply/validate` pack a profile's local files from its folder, and nothing outside it.
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../profile/bundle.js';
import { MAX_FILE_NAME } from '../../shared/file-name.js';
import { main } from '../main.js';

let dir = '';
let outside = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-cli-profile-'));
  outside = await mkdtemp(join(tmpdir(), 'strata-cli-outside-'));
  await mkdir(join(dir, 'charts/web/templates'), { recursive: true });
  await writeFile(join(dir, 'charts/web/Chart.yaml'), 'apiVersion: v2\nname: web\nversion: 0.1.0\n');
  await writeFile(join(dir, 'charts/web/templates/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\n');
  await writeFile(join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm }\n');
  await writeFile(join(outside, 'secret.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: { name: s }\n');
  await symlink(join(outside, 'secret.yaml'), join(dir, 'escape.yaml'));
});

const profile = (packs: string) =>
  [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata: { name: web }',
    'spec:',
    '  version: 1.0.0',
    '  type: add-on',
    '  packs:',
    packs,
    '',
  ].join('\n');
const helm = '    - { name: web, layer: addon, version: 1.0.0, type: helm, chart: { path: charts/web } }';
const manifest = (file: string) =>
  `    - { name: cm, layer: addon, version: 1.0.0, type: manifest, files: [${file}] }`;

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

async function strata(
  argv: string[],
  env: Record<string, string> = { STRATA_SERVER: 'https://hub.test' },
  hubDown = false,
) {
  let stdout = '';
  let stderr = '';
  const sent: Sent[] = [];
  const fakeFetch = (input: string | URL | Request, init: RequestInit = {}) => {
    if (hubDown) return Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }));
    sent.push({
      url: input instanceof Request ? input.url : String(input),
      headers: init.headers as Record<string, string>,
      body: init.body,
    });
    const answer =
      argv[1] === 'apply'
        ? [{ name: 'web', version: '1.0.0', type: 'add-on', published: true, createdAt: '', packs: 2 }]
        : { valid: true, issues: [] };
    return Promise.resolve(new Response(JSON.stringify(answer), { status: argv[1] === 'apply' ? 201 : 200 }));
  };
  const out = (append: (s: string) => void) => ({ write: append, isTTY: false, columns: undefined });
  const code = await main(argv, {
    stdout: out((s) => (stdout += s)),
    stderr: out((s) => (stderr += s)),
    env: { HOME: '/nonexistent', STRATA_TOKEN: 'x', ...env },
    cwd: dir,
    fetch: fakeFetch,
  });
  return { code, stdout, stderr, sent };
}

describe('strata profile apply -f FILE', () => {
  it('sends a profile with local references as one gzip bundle: the chart folder packaged, the file as is', async () => {
    await writeFile(join(dir, 'p.yaml'), profile(`${helm}\n${manifest('cm.yaml')}`));
    const result = await strata(['profile', 'apply', '-f', 'p.yaml']);
    expect(result.code, result.stderr).toBe(0);
    const [request] = result.sent;
    expect(request?.url).toBe('https://hub.test/api/v1/profiles?file=p.yaml');
    expect(request?.headers['content-type']).toBe('application/gzip');
    const bundle = await readBundle(Buffer.from(request?.body as Uint8Array));
    expect([...bundle.entries.keys()].sort()).toEqual(['charts/web', 'cm.yaml']);
    expect(bundle.profile).toContain('name: web');
  });

  it('sends a profile without local references as JSON, as before', async () => {
    await writeFile(
      join(dir, 'plain.yaml'),
      profile(
        '    - { name: m, layer: addon, version: 1.0.0, type: helm, chart: { repo: https://charts.example.com, name: web } }',
      ),
    );
    const result = await strata(['profile', 'validate', '-f', 'plain.yaml']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.sent[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(result.sent[0]?.body as string)).toMatchObject({ file: 'plain.yaml' });
  });

  it('sends a path longer than the hub takes as its end, which the hub quotes in issues (review 14)', async () => {
    const deep = join(dir, ...Array.from({ length: 30 }, (_, i) => `folder-number-${i}`));
    await mkdir(deep, { recursive: true });
    const file = join(deep, 'plain.yaml');
    await writeFile(
      file,
      profile(
        '    - { name: m, layer: addon, version: 1.0.0, type: helm, chart: { repo: https://charts.example.com, name: web } }',
      ),
    );
    expect(file.length).toBeGreaterThan(MAX_FILE_NAME);
    const json = await strata(['profile', 'validate', '-f', file]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.sent[0]?.body as string)).toMatchObject({
      file: `…${file.slice(-(MAX_FILE_NAME - 1))}`,
    });
    await writeFile(
      join(deep, 'p.yaml'),
      profile(`    - { name: m, layer: addon, version: 1.0.0, type: manifest, files: [m.yaml] }`),
    );
    await writeFile(join(deep, 'm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: m }\n');
    const bundle = await strata(['profile', 'apply', '-f', join(deep, 'p.yaml')]);
    expect(bundle.code, bundle.stderr).toBe(0);
    const sentFile = new URL(bundle.sent[0]?.url ?? '').searchParams.get('file') ?? '';
    expect(sentFile).toHaveLength(MAX_FILE_NAME);
    expect(sentFile.endsWith('/folder-number-29/p.yaml')).toBe(true);
  });

  it.each([
    [
      '..',
      '../secret.yaml',
      /spec\.packs\[0\]\.files\[0\]: expected a relative path inside the profile folder; got "\.\.\/secret\.yaml" \(\.\. is not allowed/,
    ],
    [
      'an absolute path',
      '/etc/passwd',
      /spec\.packs\[0\]\.files\[0\]: expected a relative path inside the profile folder; got "\/etc\/passwd"/,
    ],
    [
      'a symlink out of the folder',
      'escape.yaml',
      /spec\.packs\[0\]\.files\[0\]: file leaves the profile's folder through a symlink/,
    ],
  ])('refuses %s with a positioned error, sending nothing', async (_what, file, message) => {
    await writeFile(join(dir, 'bad.yaml'), profile(manifest(file)));
    const result = await strata(['profile', 'apply', '-f', 'bad.yaml']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`bad\\.yaml:8:\\d+ ${message.source}`));
    expect(result.sent).toEqual([]);
  });
});

describe('strata profile validate -f FILE', () => {
  const badLayer = profile(
    '    - { name: cm, layer: network, version: 1.0.0, type: manifest, manifests: [] }',
  );

  it('checks the file offline when no hub is configured: positioned errors, nothing sent', async () => {
    await writeFile(join(dir, 'layer.yaml'), badLayer);
    const result = await strata(['profile', 'validate', '-f', 'layer.yaml'], {}, true);
    expect(result.code).toBe(1);
    expect(result.sent).toEqual([]);
    expect(result.stderr).toMatch(/not a valid profile \(1 problem; checked locally\)/);
    expect(result.stderr).toMatch(
      /layer\.yaml:8:\d+ spec\.packs\[0\]\.layer: expected one of os, k8s, cni, csi, addon; got "network"/,
    );
    expect(result.stderr).not.toContain('cannot reach');

    await writeFile(join(dir, 'ok.yaml'), profile(`${helm}\n${manifest('cm.yaml')}`));
    const ok = await strata(['profile', 'validate', '-f', 'ok.yaml'], {}, true);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('ok.yaml: valid (checked locally; no hub configured)\n');
    expect(ok.sent).toEqual([]);

    const json = await strata(['profile', 'validate', '-f', 'layer.yaml', '-o', 'json'], {}, true);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      valid: false,
      checkedBy: ['local'],
      issues: [{ file: 'layer.yaml', line: 8, path: 'spec.packs[0].layer' }],
    });
  });

  it('also asks a configured hub, and says so', async () => {
    await writeFile(join(dir, 'ok.yaml'), profile(`${helm}\n${manifest('cm.yaml')}`));
    const result = await strata(['profile', 'validate', '-f', 'ok.yaml']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.sent).toHaveLength(1);
    expect(result.stdout).toBe('ok.yaml: valid (checked locally and by the hub at https://hub.test)\n');
  });

  it('warns when a hub from the environment is down, and fails when the one named by --server is', async () => {
    await writeFile(join(dir, 'ok.yaml'), profile(`${helm}\n${manifest('cm.yaml')}`));
    const fromEnv = await strata(
      ['profile', 'validate', '-f', 'ok.yaml'],
      { STRATA_SERVER: 'https://hub.test' },
      true,
    );
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stderr).toMatch(
      /^warning: cannot reach the Strata hub at https:\/\/hub\.test.*; checked locally only$/m,
    );
    expect(fromEnv.stdout).toBe('ok.yaml: valid (checked locally)\n');
    const named = await strata(
      ['profile', 'validate', '-f', 'ok.yaml', '--server', 'https://hub.test'],
      {},
      true,
    );
    expect(named.code).toBe(1);
    expect(named.stderr).toContain('cannot reach the Strata hub at https://hub.test');
  });
});
