// The kept Cluster Profile page through the API, on both stores (issue 15, "Fast reads"): while nothing changed
// the page is the same bytes and an If-None-Match read is 304; after a change (a newer profile version
// published, drift seen by the runner's watch) the very next read has the new body and a new ETag.
import { readFileSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import type { ClusterPage, HubEvent } from '../hub/index.js';
import { backends } from '../store/testing/backends.js';
import { startTestHub, type TestHub } from './testing/server.js';

const CP = 'kept-page-it';
let cp: ControlPlaneState;

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 1 });
});
afterAll(async () => {
  await down({ name: CP });
});

const profile = (version: string) =>
  [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata: { name: kept }',
    'spec:',
    `  version: ${version}`,
    '  type: add-on',
    '  packs:',
    '    - name: settings',
    '      layer: addon',
    '      version: 1.0.0',
    '      type: manifest',
    '      namespace: kept',
    '      manifests:',
    '        - { apiVersion: v1, kind: ConfigMap, metadata: { name: settings }, data: { a: "1" } }',
    '',
  ].join('\n');

/** Resolves with the first hub event that `predicate` accepts (subscribed before `action` runs). */
async function eventAfter(t: TestHub, predicate: (e: HubEvent) => boolean, action: () => Promise<unknown>) {
  let unsubscribe: () => void = () => undefined;
  const seen = new Promise<HubEvent>((resolve) => {
    unsubscribe = t.hub.subscribe((event) => {
      if (predicate(event)) resolve(event);
    });
  });
  try {
    await action();
    return await seen;
  } finally {
    unsubscribe();
  }
}

describe.each(backends())('the kept page on $name', (backend) => {
  let t: TestHub;
  beforeAll(async () => {
    await backend.setup();
    t = await startTestHub(backend, { server: { webRoot: false } });
  });
  afterAll(async () => {
    await t.close();
    await backend.teardown();
  });

  const read = async (etag?: string) => {
    const res = await fetch(`${t.url}/api/v1/clusters/kept/page`, {
      headers: { authorization: `Bearer ${t.tokens.viewer}`, ...(etag ? { 'if-none-match': etag } : {}) },
    });
    const text = await res.text();
    return {
      status: res.status,
      etag: res.headers.get('etag') ?? '',
      text,
      page: text === '' ? undefined : (JSON.parse(text) as ClusterPage),
    };
  };

  it('serves the same bytes while nothing changed and the new page with a new ETag right after a change', async () => {
    const ok = (status: number) => (res: { status: number; text: string }) => {
      expect(res.status, res.text).toBe(status);
    };
    ok(201)(
      await t.api('POST', '/api/v1/clusters', {
        body: { name: 'kept', kubeconfig: readFileSync(cp.kubeconfig, 'utf8') },
      }),
    );
    ok(201)(await t.api('POST', '/api/v1/profiles', { body: { yaml: profile('1.0.0'), file: 'k.yaml' } }));
    await eventAfter(
      t,
      (e) => e.kind === 'pack.status' && e.cluster === 'kept' && e.data.phase === 'success',
      async () => {
        ok(201)(await t.api('POST', '/api/v1/clusters/kept/attachments', { body: { profile: 'kept' } }));
      },
    );

    const first = await read();
    expect(first.page?.packs.map((p) => p.phase)).toEqual(['success']);
    const again = await read();
    expect(again.etag).toBe(first.etag);
    expect(again.text).toBe(first.text);
    expect((await read(first.etag)).status).toBe(304);

    // A newer version published: "update available" on the next read.
    ok(201)(await t.api('POST', '/api/v1/profiles', { body: { yaml: profile('1.1.0'), file: 'k.yaml' } }));
    const published = await read(first.etag);
    expect(published.status).toBe(200);
    expect(published.etag).not.toBe(first.etag);
    expect(published.page?.attachments[0]?.updateAvailable).toBe('1.1.0');

    // Drift the runner's watch sees (no request to the hub at all): on the read right after the hub said so.
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    await eventAfter(
      t,
      (e) => e.kind === 'pack.drift' && e.cluster === 'kept',
      () => kc.makeApiClient(CoreV1Api).deleteNamespacedConfigMap({ name: 'settings', namespace: 'kept' }),
    );
    const drifted = await read(published.etag);
    expect(drifted.status).toBe(200);
    expect(drifted.etag).not.toBe(published.etag);
    expect(drifted.page?.packs[0]?.lastDrift?.message).toContain('settings');
  });
});
