// The planner keeps each stored profile version as loaded (planner.ts: every plan used to read and parse every
// attached profile again): a second plan reads no profile source, and a changed draft is read again.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { startTestHub, type TestHub } from '../server/testing/server.js';

const profile = (version: string, data: string) => `apiVersion: strata.dev/v1alpha1
kind: ClusterProfile
metadata: { name: web }
spec:
  version: ${version}
  type: add-on
  packs:
    - name: site
      layer: addon
      version: 1.0.0
      type: manifest
      namespace: default
      manifests:
        - { apiVersion: v1, kind: ConfigMap, metadata: { name: site }, data: { v: "${data}" } }
`;

const backend = new SqliteBackend();
let t: TestHub;

beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend, { server: { webRoot: false } });
  expect((await t.api('POST', '/api/v1/agent-clusters', { body: { name: 'edge' } })).status).toBe(201);
  expect((await t.api('POST', '/api/v1/profiles', { body: { yaml: profile('1.0.0', 'one') } })).status).toBe(
    201,
  );
  const attached = await t.api('POST', '/api/v1/clusters/edge/attachments', { body: { profile: 'web' } });
  expect(attached.status, attached.text).toBe(201);
});

afterAll(async () => {
  await t.close();
  await backend.teardown();
});

describe('the planner', () => {
  it('reads and parses a stored version once, not on every plan', async () => {
    const reads = vi.spyOn(t.store.profiles, 'get');
    try {
      for (let i = 0; i < 3; i++) {
        const preview = await t.api('POST', '/api/v1/clusters/edge/attachments/web/preview', {
          role: 'viewer',
          body: {},
        });
        expect(preview.status, preview.text).toBe(200);
        expect(preview.json).toEqual([{ pack: 'site', profile: 'web', change: 'unchanged' }]);
      }
      expect(reads.mock.calls.filter(([name]) => name === 'web')).toHaveLength(0);
    } finally {
      reads.mockRestore();
    }
  });

  it('plans a new version from its own content, not a kept one', async () => {
    expect(
      (await t.api('POST', '/api/v1/profiles', { body: { yaml: profile('1.1.0', 'two') } })).status,
    ).toBe(201);
    const preview = await t.api('POST', '/api/v1/clusters/edge/attachments/web/preview', {
      role: 'viewer',
      body: { version: '1.1.0' },
    });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.json).toEqual([
      {
        pack: 'site',
        profile: 'web',
        change: 'changed',
        changes: ['manifests["ConfigMap site"].data.v: "one" → "two"'],
      },
    ]);
  });
});
