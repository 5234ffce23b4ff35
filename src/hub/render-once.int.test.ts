// Render once per revision (issue 11 items 2 and 6, ADR 0007), end to end: a chart that generates a password,
// a token and a certificate at render time keeps them, untouched (same resourceVersion), across a resync and a
// hub restart on the same database; a new profile version with new values renders again.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1Role,
  type V1Secret,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileUpload } from '../profile/index.js';
import { createStore, type Store } from '../store/index.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { watchUntil } from '../../testenv/src/watch-until.js';
import { helmBin, repoRoot } from '../engine/testing/runner.js';
import { Hub } from './hub.js';

const CP = 'hub-render-once-it';
const CLUSTER = 'local';
const NS = 'random';
const PACK = 'random-values';
const admin = { name: 'test-admin' };
const dir = mkdtempSync(join(tmpdir(), 'strata-render-once-'));
const dbFile = join(dir, 'data', 'strata.db');
const secretKey = randomBytes(32);
let cp: ControlPlaneState;
let kc: KubeConfig;
let core: CoreV1Api;
let rbac: RbacAuthorizationV1Api;
let store: Store;
let hub: Hub;

/** The profile with the random-values chart, as a user's file next to its chart folder. */
function writeProfile(version: string, generation: string): string {
  const file = join(dir, `random-${version}.yaml`);
  writeFileSync(
    file,
    [
      'apiVersion: strata.dev/v1alpha1',
      'kind: ClusterProfile',
      'metadata: { name: random }',
      'spec:',
      `  version: ${version}`,
      '  type: add-on',
      '  packs:',
      `    - name: ${PACK}`,
      '      layer: addon',
      '      version: 0.1.0',
      '      type: helm',
      '      chart: { path: charts/random-values }',
      `      namespace: ${NS}`,
      `      values: { generation: "${generation}" }`,
      '',
    ].join('\n'),
  );
  return file;
}

async function openHub(): Promise<void> {
  store = await createStore({ url: `sqlite:${dbFile}`, secretKey });
  hub = await Hub.open({ store, helmBin: helmBin(), accessTimeoutMs: 3000, log: () => undefined });
}

async function closeHub(): Promise<void> {
  await hub.close();
  await store.close();
}

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 1 });
  kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  cpSync(join(repoRoot, 'src/engine/conformance/charts/random-values'), join(dir, 'charts/random-values'), {
    recursive: true,
  });
  await openHub();
});

afterAll(async () => {
  await closeHub();
  await down({ name: CP });
});

/** Resolves when the pack is green, re-checked on every hub event. */
function packGreen() {
  return new Promise<void>((resolve, reject) => {
    let last = '';
    const check = async () => {
      const page = await hub.clusterPage(CLUSTER);
      const pack = page.packs.find((p) => p.name === PACK);
      last = pack ? `${pack.phase} ${pack.message}` : 'no pack';
      if (pack?.phase === 'success') {
        unsubscribe();
        clearTimeout(timer);
        resolve();
      }
    };
    const unsubscribe = hub.subscribe(() => void check());
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out waiting for ${PACK} to be green; last: ${last}`));
    }, 90_000);
    void check();
  });
}

/** What the chart generated, as the cluster holds it, with each object's resourceVersion. */
async function generated() {
  const password = await core.readNamespacedSecret({ name: 'random-values-password', namespace: NS });
  const tls = await core.readNamespacedSecret({ name: 'random-values-tls', namespace: NS });
  const token = await core.readNamespacedConfigMap({ name: 'random-values-token', namespace: NS });
  return {
    password: Buffer.from(password.data?.password ?? '', 'base64').toString(),
    generation: Buffer.from(password.data?.generation ?? '', 'base64').toString(),
    cert: tls.data?.['tls.crt'],
    token: token.data?.token,
    resourceVersions: [password, tls, token].map((o) => o.metadata?.resourceVersion),
  };
}

/**
 * Deletes the chart's Role (the cluster's drift policy is report, so only a re-apply brings it back) and
 * returns a promise of its return: the Role comes after the Secrets and the ConfigMap in the install order, so
 * once it is back those were applied again too.
 */
async function deleteMarker(): Promise<() => Promise<V1Role>> {
  const gone = await rbac.deleteNamespacedRole({ name: 'random-values-marker', namespace: NS });
  const deletedAt = Number(gone.metadata?.resourceVersion ?? 0);
  return () =>
    watchUntil<V1Role>(
      kc,
      (role) =>
        role.metadata?.name === 'random-values-marker' &&
        Number(role.metadata.resourceVersion ?? 0) > deletedAt,
      {
        path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`,
        timeoutMs: 90_000,
        description: 'the marker Role applied again',
      },
    );
}

describe('a Helm pack renders once per revision', () => {
  it('keeps generated values across resync and hub restart, and renders again for new values', async () => {
    const kubeconfig = readFileSync(cp.kubeconfig, 'utf8');
    await hub.registerCluster({ name: CLUSTER, kubeconfig, driftPolicy: 'report' }, admin);
    for (const [version, generation] of [
      ['1.0.0', '1'],
      ['2.0.0', '2'],
    ] as const) {
      const file = writeProfile(version, generation);
      await hub.importProfile({ ...(await profileUpload(file)), file: `random-${version}.yaml` }, admin);
    }
    await hub.attach({ cluster: CLUSTER, profile: 'random', version: '1.0.0' }, admin);
    await packGreen();
    const revision = (await store.packStatus.get(CLUSTER, PACK))?.revision;
    const installed = await generated();
    expect(installed.password).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(installed.generation).toBe('1');

    // Stored sealed: readable through the store, not in the database file.
    const stored = await store.renders.get(CLUSTER, PACK);
    expect(stored?.manifest).toContain(installed.password);
    const files = readdirSync(join(dir, 'data')).filter((f) => f.startsWith('strata.db'));
    for (const f of files)
      expect(readFileSync(join(dir, 'data', f)).includes(installed.password)).toBe(false);

    // Resync: everything is applied again from the stored rendering; nothing generated changes or is written.
    const resynced = await deleteMarker();
    await hub.resync(CLUSTER, admin);
    await resynced();
    expect(await generated()).toEqual(installed);

    // Restart: a new hub on the same database applies the same rendering again.
    await closeHub();
    const restarted = await deleteMarker();
    await openHub();
    await restarted();
    expect(await generated()).toEqual(installed);
    await packGreen();
    expect((await store.packStatus.get(CLUSTER, PACK))?.revision).toBe(revision);

    // A new profile version with new values is a new revision: rendered again, new values generated.
    await hub.updateAttachment({ cluster: CLUSTER, profile: 'random', version: '2.0.0' }, admin);
    await watchUntil(
      kc,
      (secret: V1Secret) =>
        secret.metadata?.name === 'random-values-password' &&
        Buffer.from(secret.data?.generation ?? '', 'base64').toString() === '2',
      { path: `/api/v1/namespaces/${NS}/secrets`, timeoutMs: 90_000, description: 'the generation 2 Secret' },
    );
    await packGreen();
    const upgraded = await generated();
    expect(upgraded.generation).toBe('2');
    expect(upgraded.password).not.toBe(installed.password);
    expect(upgraded.token).not.toBe(installed.token);
    expect((await store.renders.get(CLUSTER, PACK))?.manifest).toContain(upgraded.password);

    // Detached: the rendering is forgotten with the pack, so attaching again renders anew (as Helm would).
    await hub.detach(CLUSTER, 'random', admin);
    await new Promise<void>((resolve, reject) => {
      const check = async () => {
        if ((await hub.clusterPage(CLUSTER)).packs.length === 0) {
          unsubscribe();
          clearTimeout(timer);
          resolve();
        }
      };
      const unsubscribe = hub.subscribe(() => void check());
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error('timed out waiting for the pack to be removed'));
      }, 90_000);
      void check();
    });
    expect(await store.renders.get(CLUSTER, PACK)).toBeUndefined();
  }, 400_000);
});
