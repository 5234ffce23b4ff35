// Review 10, finding 4: a sensitive variable's `default` was served to every viewer (the version's source and
// its bundle) and stored in clear text. A new version with one is refused, naming file, line and variable; a
// version stored before keeps working, and viewers read it masked. A real listening hub on SQLite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../profile/bundle.js';
import { parseProfile } from '../profile/parse.js';
import { SqliteBackend } from '../store/testing/backends.js';
import { startTestHub, type TestHub } from './testing/server.js';

const backend = new SqliteBackend();
let t: TestHub;

const SECRET = 'Hunter2-DefaultSecret';
const source = (version: string) =>
  [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata: { name: sec }',
    'spec:',
    `  version: ${version}`,
    '  type: add-on',
    '  variables:',
    `    - { name: pw, sensitive: true, default: "${SECRET}" }`,
    '  packs:',
    '    - name: app',
    '      layer: addon',
    '      version: 1.0.0',
    '      type: manifest',
    '      manifests:',
    '        - { apiVersion: v1, kind: ConfigMap, metadata: { name: app, namespace: default }, data: { a: "{{ .strata.var.pw }}" } }',
    '',
  ].join('\n');

beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend, { server: { webRoot: false } });
  // A version stored before the rule (as the store holds it: its source as written).
  const parsed = parseProfile(source('1.0.0'), { file: 'sec.yaml', storedVersion: true });
  if (!parsed.ok) throw new Error('the stored version should parse');
  await t.store.profiles.publish({ source: source('1.0.0'), profile: parsed.value.profile });
});

afterAll(async () => {
  await t.close();
  await backend.teardown();
});

describe('a sensitive variable with a default', () => {
  it('is refused in a new version, naming the file, the line and the variable, and the secret nowhere', async () => {
    const res = await t.api('POST', '/api/v1/profiles', {
      role: 'operator',
      body: { yaml: source('1.1.0'), file: 'sec.yaml' },
    });
    expect(res.status).toBe(422);
    expect(res.text).toContain('sec.yaml');
    expect(res.json).toMatchObject({
      issues: [
        {
          file: 'sec.yaml',
          line: 8,
          path: 'spec.variables[0].default',
          message: expect.stringContaining('variable "pw" is sensitive, so it takes no default') as unknown,
        },
      ],
    });
    expect(res.text).not.toContain(SECRET);
  });

  it('stored before the rule: a viewer reads the source and the bundle with the default masked', async () => {
    const got = await t.api('GET', '/api/v1/profiles/sec/versions/1.0.0', { role: 'viewer' });
    expect(got.status).toBe(200);
    expect(got.text).not.toContain(SECRET);
    expect((got.json as { yaml: string }).yaml).toBe(source('1.0.0').replace(`"${SECRET}"`, '"******"'));
    const res = await fetch(`${t.url}/api/v1/profiles/sec/versions/1.0.0/bundle`, {
      headers: { authorization: `Bearer ${t.tokens.viewer}` },
    });
    expect(res.status).toBe(200);
    const bundle = await readBundle(Buffer.from(await res.arrayBuffer()));
    expect(bundle.profile).toBe(source('1.0.0').replace(`"${SECRET}"`, '"******"'));
  });
});
