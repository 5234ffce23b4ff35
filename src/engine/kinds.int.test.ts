import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssues, loadProfileFiles } from '../profile/index.js';
import { PackPhase, type PackStatus } from '../status/index.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { desiredOrThrow, startRunner } from './testing/runner.js';

// Every kind pack-status.md names, deployed through the runner on a real control plane, each showing the
// state and reason its rule promises.
const CP = 'engine-kinds-it';
let cp: ControlPlaneState;
const dir = mkdtempSync(join(tmpdir(), 'strata-kinds-'));

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 3 });
});

afterAll(async () => {
  await down({ name: CP });
});

const pod = (app: string, annotations = '{}') =>
  `metadata: { labels: { app: ${app} }, annotations: ${annotations} }
          spec: { containers: [{ name: main, image: "registry.local/${app}:1" }] }`;

const packs = {
  // Everything here becomes Ready: the pack turns green.
  ready: `
    - apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata: { name: widgets.example.com }
      spec:
        group: example.com
        scope: Namespaced
        names: { plural: widgets, singular: widget, kind: Widget }
        versions:
          - name: v1
            served: true
            storage: true
            schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
    - { apiVersion: example.com/v1, kind: Widget, metadata: { name: first }, spec: { size: 1 } }
    # A custom kind that lives outside namespaces (as cert-manager's ClusterIssuer): keyed without the pack's namespace.
    - apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata: { name: gizmos.example.com }
      spec:
        group: example.com
        scope: Cluster
        names: { plural: gizmos, singular: gizmo, kind: Gizmo }
        versions:
          - name: v1
            served: true
            storage: true
            schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
    - { apiVersion: example.com/v1, kind: Gizmo, metadata: { name: shared }, spec: { size: 1 } }
    - apiVersion: apps/v1
      kind: StatefulSet
      metadata: { name: db }
      spec:
        serviceName: db
        replicas: 2
        selector: { matchLabels: { app: db } }
        template:
          ${pod('db')}
    - apiVersion: apps/v1
      kind: DaemonSet
      metadata: { name: agent }
      spec:
        selector: { matchLabels: { app: agent } }
        template:
          ${pod('agent')}
    - apiVersion: batch/v1
      kind: Job
      metadata: { name: migrate }
      spec:
        backoffLimit: 0
        template:
          metadata: { labels: { app: migrate } }
          spec: { restartPolicy: Never, containers: [{ name: main, image: "registry.local/migrate:1" }] }
    - { apiVersion: v1, kind: Service, metadata: { name: db }, spec: { selector: { app: db }, ports: [{ port: 5432 }] } }
    - { apiVersion: v1, kind: ConfigMap, metadata: { name: settings }, data: { a: b } }`,
  // These cannot get ready on a cluster without a provisioner, load balancer or ingress controller: blue.
  waiting: `
    - apiVersion: v1
      kind: PersistentVolumeClaim
      metadata: { name: data }
      spec: { storageClassName: nothing, accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
    - { apiVersion: v1, kind: Service, metadata: { name: public }, spec: { type: LoadBalancer, selector: { app: x }, ports: [{ port: 80 }] } }
    - apiVersion: networking.k8s.io/v1
      kind: Ingress
      metadata: { name: web }
      spec: { defaultBackend: { service: { name: public, port: { number: 80 } } } }`,
  // A StatefulSet whose pods crash: red, naming the pod.
  crashing: `
    - apiVersion: apps/v1
      kind: StatefulSet
      metadata: { name: cache }
      spec:
        serviceName: cache
        replicas: 1
        selector: { matchLabels: { app: cache } }
        template:
          ${pod('cache', '{ testenv.strata.dev/behavior: crash-loop }')}`,
  // A bare pod whose container exits 1: red (kstatus would call it Current).
  exited: `
    - apiVersion: v1
      kind: Pod
      metadata: { name: once, annotations: { testenv.strata.dev/behavior: fail } }
      spec:
        restartPolicy: Never
        containers: [{ name: main, image: "registry.local/once:1" }]`,
};

function profileText(): string {
  const entries = Object.entries(packs).map(([name, manifests]) =>
    [
      `  - name: ${name}`,
      '    layer: addon',
      '    version: 1.0.0',
      '    type: manifest',
      `    namespace: kinds-${name}`,
      name === 'waiting' ? '    timeout: 1h' : '    timeout: 2m',
      '    manifests:',
      manifests.replace(/^\n/, '').replace(/^ {4}/gm, '      '),
    ].join('\n'),
  );
  return [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata: { name: kinds }',
    'spec:',
    '  version: 1.0.0',
    '  type: add-on',
    '  packs:',
    ...entries,
    '',
  ].join('\n');
}

function stateOf(status: PackStatus | undefined, kind: string, name: string) {
  const r = status?.resources.find((x) => x.ref.kind === kind && x.ref.name === name);
  return { state: r?.evaluation.state, reason: r?.evaluation.reason, message: r?.evaluation.message };
}

describe('every kind of pack-status.md, end to end', () => {
  it('shows each resource state and reason the rules promise, and the pack colour they add up to', async () => {
    const file = join(dir, 'kinds.yaml');
    writeFileSync(file, profileText());
    const loaded = await loadProfileFiles([file]);
    if (!loaded.ok) throw new Error(formatIssues(loaded.issues));

    const { runner, log } = await startRunner(cp.kubeconfig, 'kinds');
    try {
      runner.setDesired(desiredOrThrow(loaded.value, { cluster: 'kinds' }));
      await log.until(
        (l) => {
          const p = l.phases();
          return (
            p.ready === PackPhase.Success &&
            p.crashing === PackPhase.Failed &&
            p.exited === PackPhase.Failed &&
            stateOf(l.latest().get('waiting'), 'Ingress', 'web').state !== undefined
          );
        },
        { timeoutMs: 120_000, what: 'ready green, crashing and exited red' },
      );
      const latest = log.latest();
      const ready = latest.get('ready');
      for (const [kind, name] of [
        ['CustomResourceDefinition', 'widgets.example.com'],
        ['Widget', 'first'],
        ['CustomResourceDefinition', 'gizmos.example.com'],
        ['Gizmo', 'shared'],
        ['StatefulSet', 'db'],
        ['DaemonSet', 'agent'],
        ['Job', 'migrate'],
        ['Service', 'db'],
        ['ConfigMap', 'settings'],
      ] as const) {
        expect(stateOf(ready, kind, name).state, `${kind} ${name}`).toBe('Ready');
      }

      expect(ready?.resources.find((r) => r.ref.kind === 'Gizmo')?.ref.namespace).toBeUndefined();

      const waiting = latest.get('waiting');
      expect(waiting?.phase).toBe(PackPhase.Processing);
      expect(stateOf(waiting, 'PersistentVolumeClaim', 'data').state).toBe('Progressing');
      expect(stateOf(waiting, 'Service', 'public').state).toBe('Progressing');
      expect(stateOf(waiting, 'Ingress', 'web').state).toBe('Progressing');
      expect(waiting?.message).toMatch(/^0\/3 resources ready; waiting for /);

      const crashing = latest.get('crashing');
      expect(crashing?.message).toMatch(
        /^Pod kinds-crashing\/cache-0: CrashLoopBackOff: back-off 40s restarting failed container=main pod=cache-0/,
      );
      const exited = latest.get('exited');
      expect(stateOf(exited, 'Pod', 'once').state).toBe('Failed');
      expect(exited?.message).toContain('Pod kinds-exited/once');
    } finally {
      runner.stop();
    }
  });
});

// Gateway API never sets Ready: a pack with a Gateway must follow Accepted/Programmed. No gateway controller
// runs here, so the test plays it, writing the Gateway's status through the status subresource.
const gatewayProfile = `apiVersion: strata.dev/v1alpha1
kind: ClusterProfile
metadata: { name: gateways }
spec:
  version: 1.0.0
  type: add-on
  packs:
    - name: edge
      layer: addon
      version: 1.0.0
      type: manifest
      namespace: kinds-edge
      timeout: 2m
      manifests:
        - apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata:
            name: gateways.gateway.networking.k8s.io
            # *.k8s.io groups are protected; the real Gateway API CRDs carry this annotation too.
            annotations: { api-approved.kubernetes.io: "https://github.com/kubernetes-sigs/gateway-api/pull/2466" }
          spec:
            group: gateway.networking.k8s.io
            scope: Namespaced
            names: { plural: gateways, singular: gateway, kind: Gateway }
            versions:
              - name: v1
                served: true
                storage: true
                subresources: { status: {} }
                schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
        - apiVersion: gateway.networking.k8s.io/v1
          kind: Gateway
          metadata: { name: main }
          spec:
            gatewayClassName: sim
            listeners: [{ name: http, protocol: HTTP, port: 80 }]
`;

describe('Gateway API, end to end', () => {
  it('a Gateway is blue until its controller programs it, green once it has, red when it cannot use its address', async () => {
    const file = join(dir, 'gateways.yaml');
    writeFileSync(file, gatewayProfile);
    const loaded = await loadProfileFiles([file]);
    if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    const objects = kc.makeApiClient(CustomObjectsApi);
    const target = {
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      namespace: 'kinds-edge',
      plural: 'gateways',
      name: 'main',
    };
    /** The controller's part: the Gateway's status with these conditions for its current generation. */
    const writeStatus = async (programmed: { status: string; reason: string; message: string }) => {
      const gateway = (await objects.getNamespacedCustomObject(target)) as {
        metadata: { generation: number };
      };
      const condition = (type: string, c: { status: string; reason: string; message: string }) => ({
        type,
        ...c,
        observedGeneration: gateway.metadata.generation,
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      });
      const ok = (type: string) => condition(type, { status: 'True', reason: type, message: '' });
      await objects.replaceNamespacedCustomObjectStatus({
        ...target,
        body: {
          ...gateway,
          status: {
            addresses: [{ type: 'IPAddress', value: '10.0.0.7' }],
            conditions: [ok('Accepted'), condition('Programmed', programmed)],
            listeners: [
              {
                name: 'http',
                attachedRoutes: 0,
                supportedKinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
                conditions: [ok('Accepted'), ok('ResolvedRefs'), ok('Programmed')],
              },
            ],
          },
        },
      });
    };
    const gatewayState = (log: { latest(): Map<string, PackStatus> }) =>
      stateOf(log.latest().get('edge'), 'Gateway', 'main');

    const { runner, log } = await startRunner(cp.kubeconfig, 'gateways');
    try {
      runner.setDesired(desiredOrThrow(loaded.value, { cluster: 'gateways' }));
      await log.until((l) => gatewayState(l).state === 'Progressing', {
        timeoutMs: 60_000,
        what: 'the Gateway waiting for its controller',
      });
      expect(log.phases().edge).toBe(PackPhase.Processing);
      expect(gatewayState(log).message).toContain('GatewayClass "sim"');

      await writeStatus({ status: 'True', reason: 'Programmed', message: '' });
      await log.until((l) => l.phases().edge === PackPhase.Success, {
        timeoutMs: 30_000,
        what: 'edge green',
      });
      expect(gatewayState(log)).toMatchObject({ state: 'Ready' });
      expect(gatewayState(log).message).toContain('10.0.0.7');

      await writeStatus({
        status: 'False',
        reason: 'AddressNotUsable',
        message: 'address 10.0.0.7 is already in use',
      });
      await log.until((l) => l.phases().edge === PackPhase.Failed, { timeoutMs: 30_000, what: 'edge red' });
      expect(log.latest().get('edge')?.message).toMatch(
        /^Gateway kinds-edge\/main: .*AddressNotUsable: address 10\.0\.0\.7 is already in use/,
      );
    } finally {
      runner.stop();
    }
  });
});
