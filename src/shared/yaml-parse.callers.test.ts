// Every parse of YAML a client, a remote or helm controls goes through yaml-parse.ts: the yaml library is never
// asked to check duplicate keys itself, which costs n²/2 comparisons for a mapping of n keys on the hub's thread.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'yaml';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { parseManifestStream } from '../engine/render.js';
import { loadCliConfig } from '../cli/config.js';
import { main } from '../cli/main.js';
import { entriesOf } from '../hub/chart-index.js';
import { KubeClient } from '../kube/client.js';
import { inlineKubeconfig } from '../kube/kubeconfig-inline.js';
import { bundleFiles } from '../profile/bundle.js';
import { parseHealthRulesFile } from '../profile/health-rules-file.js';
import { loadProfileText } from '../profile/load.js';
import { profileText } from '../profile/testing/profiles.js';

vi.mock('yaml', async (importOriginal) => {
  const original = await importOriginal<typeof import('yaml')>();
  return {
    ...original,
    parse: vi.fn(original.parse),
    parseDocument: vi.fn(original.parseDocument),
    parseAllDocuments: vi.fn(original.parseAllDocuments),
    // What yamlDocuments composes with, one document at a time.
    Composer: vi.fn(function Composer(options?: yaml.DocumentOptions) {
      return new original.Composer(options);
    }),
  };
});

/** The options of every call to the library's parse functions since the last clear. */
function parseOptions(): unknown[] {
  return [
    ...vi.mocked(yaml.parse).mock.calls.map((call) => call[2] ?? call[1]),
    ...vi.mocked(yaml.parseDocument).mock.calls.map((call) => call[1]),
    ...vi.mocked(yaml.parseAllDocuments).mock.calls.map((call) => call[1]),
    ...vi.mocked(yaml.Composer).mock.calls.map((call) => call[0]),
  ];
}

const repeated = 'a: 1\nb: 2\na: 3\n';

beforeEach(() => {
  vi.clearAllMocks();
});

describe('the library checks no duplicate keys (it is quadratic) when the hub reads', () => {
  const cases: Record<string, () => unknown> = {
    "helm's output": () =>
      parseManifestStream(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  k: v\n`, 'chart'),
    "a chart repository's index.yaml, in helm's layout and whole": () => [
      entriesOf('entries:\n  web:\n  - version: 1.0.0\n', 'web'),
      entriesOf('{entries: {web: [{version: 1.0.0}]}}', 'web'),
    ],
    'a kubeconfig': () =>
      KubeClient.fromString(
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: [{name: u, user: {token: t}}]\n' +
          'contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
      ),
    'a profile, its embedded values and its manifest files': async () => {
      const content = Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
      const files = bundleFiles(new Map([['cm.yaml', { path: 'cm.yaml', content, sha256: '' }]]));
      const packs = [
        '- name: c\n  layer: addon\n  version: 1.0.0\n  type: manifest\n  files: [cm.yaml]',
        '- name: h\n  layer: addon\n  version: 1.0.0\n  type: helm\n  namespace: default',
        '  chart: { repo: "https://charts.example.com", name: h, version: 1.0.0 }\n  values: |\n    a: 1',
      ].join('\n');
      const result = await loadProfileText(profileText({ packs }), { files, displayName: 'p.yaml' });
      expect(result.ok).toBe(true);
    },
    'a health rules file': () => parseHealthRulesFile(repeated, { file: 'rules.yaml' }),
  };
  const dir = mkdtempSync(join(tmpdir(), 'strata-yaml-callers-'));
  const silent = { write: () => undefined, isTTY: false, columns: undefined };
  const cliCases: Record<string, () => unknown> = {
    'a kubeconfig the CLI inlines before sending it': () =>
      inlineKubeconfig('clusters: []\nusers: []\ncontexts: []\n', {
        baseDir: dir,
        readFile: () => Promise.reject(new Error('no file is read')),
      }),
    "the CLI's config file": () => {
      mkdirSync(join(dir, 'strata'), { recursive: true });
      writeFileSync(join(dir, 'strata', 'config.yaml'), 'server: http://127.0.0.1:7400\n');
      return loadCliConfig({ env: { XDG_CONFIG_HOME: dir } });
    },
    'the object file of `strata health test`': () => {
      writeFileSync(join(dir, 'object.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
      return main(['health', 'test', '--object', 'object.yaml'], {
        stdout: silent,
        stderr: silent,
        env: { HOME: dir, STRATA_TOKEN: 't' },
        cwd: dir,
        now: () => 0,
        fetch: () => Promise.resolve(Response.json({ status: 404, code: 'NOT_FOUND' }, { status: 404 })),
      });
    },
  };
  Object.assign(cases, cliCases);
  for (const [what, read] of Object.entries(cases)) {
    it(what, async () => {
      await read();
      const options = parseOptions();
      expect(options.length).toBeGreaterThan(0);
      for (const given of options) expect(given).toMatchObject({ uniqueKeys: false });
    });
  }
});
