import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../store/index.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { helmBin } from '../engine/testing/runner.js';
import { Hub } from './hub.js';

// `strata health test` on a live object: the hub reads it from the cluster, asks discovery whether its kind has
// a status subresource, and judges it by the rules under test, the cluster's, the library (issue 14).
const CP = 'hub-health-it';
const admin = { name: 'test-admin' };
let cp: ControlPlaneState;
let store: Store;
let hub: Hub;

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 1 });
  store = await createStore({ url: ':memory:', secretKey: randomBytes(32) });
  hub = await Hub.open({ store, helmBin: helmBin(), accessTimeoutMs: 3000, log: () => undefined });
});

afterAll(async () => {
  await hub.close();
  await store.close();
  await down({ name: CP });
});

const rules = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: HealthRules',
  'spec:',
  '  healthChecks:',
  '    - apiVersion: example.com/v1',
  '      kind: Widget',
  "      current: status.phase == 'Ready'",
  "      failed: status.phase == 'Failed'",
  '',
].join('\n');

describe('health test on a live object', () => {
  it('judges the object as the cluster has it, and a new one as waiting for its controller', async () => {
    await hub.registerCluster({ name: 'live', kubeconfig: readFileSync(cp.kubeconfig, 'utf8') }, admin);
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({
      body: {
        metadata: { name: 'widgets.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
            },
          ],
        },
      },
    });
    const objects = kc.makeApiClient(CustomObjectsApi);
    const target = { group: 'example.com', version: 'v1', namespace: 'default', plural: 'widgets' };
    const ref = { apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'default', name: 'first' };
    // The CRD is served a moment after it is created.
    for (let attempt = 0; ; attempt++) {
      try {
        await objects.createNamespacedCustomObject({
          ...target,
          body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'first' }, spec: {} },
        });
        break;
      } catch (error) {
        if (attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    expect(await hub.healthRules.test({ rules, live: { cluster: 'live', ref } })).toMatchObject({
      state: 'Progressing',
      reason: 'AwaitingControllerStatus',
      message: 'Widget default/first: waiting for its controller to report status',
    });

    await objects.patchNamespacedCustomObjectStatus({
      ...target,
      name: 'first',
      body: [{ op: 'add', path: '/status', value: { phase: 'Failed' } }],
    });
    expect(await hub.healthRules.test({ rules, live: { cluster: 'live', ref } })).toMatchObject({
      state: 'Failed',
      rule: { origin: 'pack', kind: 'Widget' },
    });
  });

  it('never reads a live Secret (rules cannot name core kinds, but a cluster-wide one could print it one day)', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    const value = `s3cret-${randomBytes(8).toString('hex')}`;
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: 'db' }, stringData: { password: value } },
    });
    const ref = { apiVersion: 'v1', kind: 'Secret', namespace: 'default', name: 'db' };
    const answer = await hub.healthRules.test({ rules, live: { cluster: 'live', ref } }).then(
      (verdict) => JSON.stringify(verdict),
      (error: unknown) => String(error),
    );
    expect(answer).toContain('a Secret is never read');
    // "/v1" is the core group to the API server too.
    const spelt = await hub.healthRules
      .test({ rules, live: { cluster: 'live', ref: { ...ref, apiVersion: '/v1' } } })
      .then(
        (verdict) => JSON.stringify(verdict),
        (error: unknown) => String(error),
      );
    expect(spelt).toContain('a Secret is never read');
    expect(answer).not.toContain(value);
    expect(answer).not.toContain(Buffer.from(value).toString('base64'));
  });
});
