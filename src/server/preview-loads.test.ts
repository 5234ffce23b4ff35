// A preview loads each stored profile version once: it plans up to three times (the plan, the packs a given
// sensitive value changes, the lines with stand-ins for stored secrets), and each load parses the whole profile
// on the event loop (about 2 s for a 900 KB profile, review 5a). Previews that arrive together share the
// loads, and a preview soon after another parses nothing again; plans that install keep nothing parsed. A
// real hub on SQLite with an agent cluster (no control plane).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { startTestHub, type TestHub } from './testing/server.js';

const backend = new SqliteBackend();
let t: TestHub;

const profile = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata: { name: app }',
  'spec:',
  '  version: 1.0.0',
  '  type: add-on',
  '  variables:',
  '    - { name: pw, sensitive: true, required: true }',
  '    - { name: host, required: true }',
  '  packs:',
  '    - name: cfg',
  '      layer: addon',
  '      version: 1.0.0',
  '      type: manifest',
  '      namespace: default',
  '      manifests:',
  '        - { apiVersion: v1, kind: ConfigMap, metadata: { name: cfg }, data: { pw: "{{ .strata.var.pw }}", host: "{{ .strata.var.host }}" } }',
  '',
].join('\n');

beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend, { server: { webRoot: false } });
  const steps = [
    await t.api('POST', '/api/v1/profiles', {
      role: 'operator',
      raw: profile,
      headers: { 'content-type': 'application/yaml' },
    }),
    await t.api('POST', '/api/v1/agent-clusters', { body: { name: 'c1' } }),
    await t.api('POST', '/api/v1/clusters/c1/attachments', {
      role: 'operator',
      body: { profile: 'app', version: '1.0.0', values: { pw: 'hunter2-secret', host: 'db' } },
    }),
  ];
  for (const step of steps) expect(step.status, step.text).toBe(201);
});

afterAll(async () => {
  await t.close();
  await backend.teardown();
});

describe('attachment previews', () => {
  it('load each stored version once per preview, and once for previews that arrive together', async () => {
    const get = vi.spyOn(t.store.profiles, 'get');
    // Read only when a version is parsed (its pinned charts).
    const parsed = vi.spyOn(t.store.pinnedCharts, 'of');
    try {
      // A given value beside a stored secret: planned three times.
      const one = await t.api('POST', '/api/v1/clusters/c1/attachments/app/preview', {
        role: 'viewer',
        body: { values: { host: 'db2' } },
      });
      expect(one.status, one.text).toBe(200);
      expect(get.mock.calls.filter(([name]) => name === 'app')).toHaveLength(1);
      // The attach before it (an install plan) kept nothing parsed; this preview parsed it and keeps it.
      expect(parsed).toHaveBeenCalledTimes(1);

      get.mockClear();
      const together = await Promise.all(
        ['db3', 'db4', 'db5'].map((host) =>
          t.hub.previewAttachment({ cluster: 'c1', profile: 'app', values: { host } }),
        ),
      );
      expect(together.map((diff) => diff.map((d) => d.change))).toEqual([
        ['changed'],
        ['changed'],
        ['changed'],
      ]);
      expect(get.mock.calls.filter(([name]) => name === 'app')).toHaveLength(1);
      expect(parsed).toHaveBeenCalledTimes(1);
    } finally {
      parsed.mockRestore();
      get.mockRestore();
    }
  });
});
