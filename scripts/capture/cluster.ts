import type {
  CoreV1Event,
  KubernetesObject,
  V1APIService,
  V1ConfigMap,
  V1CustomResourceDefinition,
  V1Ingress,
  V1Namespace,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Service,
  V1StorageClass,
} from '@kubernetes/client-node';
import { ResourceState } from '../../src/status/resource-state.js';
import { apiTime, C, conditionOf, NS, nsPath, type Context, type Scenario } from './kube.js';
import { collection, type Collection } from './store.js';

function waitFor<T extends KubernetesObject>(
  ctx: Context,
  collection: Collection<T>,
  namespace: string | undefined,
  name: string,
  description: string,
  holds: (obj: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  return ctx.store.until(
    `${collection.name} ${namespace ? `${namespace}/` : ''}${name}: ${description}`,
    () => {
      const obj = ctx.store.get<T>(collection, namespace, name);
      return obj && holds(obj) ? obj : undefined;
    },
    {
      timeoutMs,
      explain: () =>
        (ctx.store.get<T>(collection, namespace, name) as { status?: unknown } | undefined)?.status,
    },
  );
}

const STORAGE_CLASS = 'local-manual';

const claim = (name: string, size: string): V1PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: NS },
  spec: {
    accessModes: ['ReadWriteOnce'],
    storageClassName: STORAGE_CLASS,
    resources: { requests: { storage: size } },
  },
});

const GROUP = 'example.strata.dev';

// Typed loosely: the request is raw JSON, and the client's V1JSONSchemaProps spells the x-kubernetes-*
// extensions differently from the wire format.
const widgetCrd = (plural: string, kind: string): KubernetesObject & { spec: unknown } => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural, singular: plural.replace(/s$/, ''), kind, listKind: `${kind}List` },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      },
    ],
  },
});

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/**
 * A Widget whose controller (played by this script) reports a Ready condition through the status
 * subresource, as a Flux HelmRelease or cert-manager Certificate would.
 */
async function widgetWithStatus(ctx: Context, name: string, ready: Condition): Promise<KubernetesObject> {
  const path = nsPath(NS, `${GROUP}/v1`, 'widgets');
  const created = await ctx.rest.create<KubernetesObject & { spec: unknown }>(path, {
    apiVersion: `${GROUP}/v1`,
    kind: 'Widget',
    metadata: { name, namespace: NS },
    spec: { chart: 'widget', version: '1.2.0' },
  });
  const generation = created.metadata?.generation ?? 1;
  await ctx.rest.patch(`${path}/${name}/status`, {
    status: {
      observedGeneration: generation,
      conditions: [{ ...ready, observedGeneration: generation, lastTransitionTime: apiTime() }],
    },
  });
  const widgets = collection<KubernetesObject>('widgets', `/apis/${GROUP}/v1/widgets`);
  return waitFor(ctx, widgets, NS, name, `status Ready=${ready.status}`, (w) => {
    const status = (w as { status?: { conditions?: Condition[] } }).status;
    return status?.conditions?.some((c) => c.type === 'Ready' && c.status === ready.status) === true;
  });
}

export const clusterScenarios: Scenario[] = [
  {
    name: 'pvc',
    async run(ctx) {
      // No dynamic provisioning: the class names no provisioner, so only a matching PersistentVolume made by
      // hand can satisfy a claim, and the real PV controller binds it.
      await ctx.rest.create<V1StorageClass>('/apis/storage.k8s.io/v1/storageclasses', {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: STORAGE_CLASS },
        provisioner: 'kubernetes.io/no-provisioner',
        volumeBindingMode: 'Immediate',
      });
      await ctx.rest.create<V1PersistentVolume>('/api/v1/persistentvolumes', {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'data-pv' },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName: STORAGE_CLASS,
          persistentVolumeReclaimPolicy: 'Retain',
          hostPath: { path: '/var/lib/strata-capture/data' },
        },
      });
      await ctx.rest.create(nsPath(NS, '', 'persistentvolumeclaims'), claim('data', '1Gi'));
      // 5Gi: no volume is that large, and nothing will create one.
      const pendingClaim = await ctx.rest.create(
        nsPath(NS, '', 'persistentvolumeclaims'),
        claim('cache-data', '5Gi'),
      );
      const bound = await waitFor<V1PersistentVolumeClaim>(
        ctx,
        C.pvcs,
        NS,
        'data',
        'Bound',
        (p) => p.status?.phase === 'Bound',
      );
      // Pending is set at creation; an event from the PV controller shows it looked at the claim and could
      // not satisfy it, so this is the controller's answer, not the claim before the controller ran.
      const event = await ctx.store.until<CoreV1Event>('an event about PVC cache-data', () =>
        ctx.store
          .list<CoreV1Event>(C.events)
          .find((e) => e.involvedObject.uid === pendingClaim.metadata?.uid),
      );
      const pending = await waitFor<V1PersistentVolumeClaim>(
        ctx,
        C.pvcs,
        NS,
        'cache-data',
        'Pending',
        (p) => p.status?.phase === 'Pending',
      );
      return [
        {
          name: 'pvc/bound',
          description: `PersistentVolumeClaim of 1Gi in storage class ${STORAGE_CLASS} (no provisioner) with a matching hostPath PersistentVolume made by hand; the PV controller bound them.`,
          object: bound,
          expect: { state: ResourceState.Ready },
        },
        {
          name: 'pvc/pending',
          description: `PersistentVolumeClaim of 5Gi in storage class ${STORAGE_CLASS} (no provisioner) that no volume can satisfy; captured after the PV controller reported on it (${event.reason ?? ''}: ${event.message ?? ''}).`,
          object: pending,
          expect: { state: ResourceState.Progressing },
        },
      ];
    },
  },
  {
    name: 'service',
    async run(ctx) {
      const service = (name: string, type: string): V1Service => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: NS },
        spec: { type, selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      });
      await ctx.rest.create(nsPath(NS, '', 'services'), service('web', 'ClusterIP'));
      await ctx.rest.create(nsPath(NS, '', 'services'), service('web-public', 'LoadBalancer'));
      const clusterIp = await waitFor<V1Service>(
        ctx,
        C.services,
        NS,
        'web',
        'has a cluster IP',
        (s) => s.spec?.clusterIP !== undefined,
      );
      const lb = await waitFor<V1Service>(
        ctx,
        C.services,
        NS,
        'web-public',
        'exists',
        (s) => s.spec?.clusterIP !== undefined,
      );
      return [
        {
          name: 'service/cluster-ip',
          description:
            'ClusterIP Service as read back after creation (the API server assigns the cluster IP synchronously).',
          object: clusterIp,
          expect: { state: ResourceState.Ready },
        },
        {
          name: 'service/load-balancer-pending',
          description:
            'LoadBalancer Service on a cluster with no load-balancer controller: it gets a cluster IP and node ports, and status.loadBalancer stays empty (no ingress address).',
          object: lb,
          expect: { state: ResourceState.Progressing },
        },
      ];
    },
  },
  {
    name: 'crd',
    async run(ctx) {
      const crdsPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
      await ctx.rest.create(crdsPath, widgetCrd('widgets', 'Widget'));
      const established = await waitFor<V1CustomResourceDefinition>(
        ctx,
        C.crds,
        undefined,
        `widgets.${GROUP}`,
        'Established',
        (c) => conditionOf(c, 'Established')?.status === 'True',
      );
      await ctx.store.watch(collection('widgets', `/apis/${GROUP}/v1/widgets`));

      // A second CRD in the same group claiming the kind Widget: the API server's naming controller refuses it.
      await ctx.rest.create(crdsPath, widgetCrd('gadgets', 'Widget'));
      const conflict = await waitFor<V1CustomResourceDefinition>(
        ctx,
        C.crds,
        undefined,
        `gadgets.${GROUP}`,
        'NamesAccepted=False',
        (c) => conditionOf(c, 'NamesAccepted')?.status === 'False',
      );
      const conflictReason = conflict.status?.conditions?.find((c) => c.type === 'NamesAccepted')?.reason;

      const ready = await widgetWithStatus(ctx, 'ready', {
        type: 'Ready',
        status: 'True',
        reason: 'InstallSucceeded',
        message: 'Helm install succeeded for release capture/widget.v1 with chart widget@1.2.0',
      });
      const failedInstall = await widgetWithStatus(ctx, 'install-failed', {
        type: 'Ready',
        status: 'False',
        reason: 'InstallFailed',
        message:
          'Helm install failed for release capture/widget with chart widget@1.2.0: context deadline exceeded',
      });
      const progressing = await widgetWithStatus(ctx, 'progressing', {
        type: 'Ready',
        status: 'False',
        reason: 'Progressing',
        message: 'Reconciliation in progress',
      });
      return [
        {
          name: 'crd/established',
          description:
            'CustomResourceDefinition widgets.example.strata.dev with a status subresource, captured once the API server set Established=True.',
          object: established,
          expect: { state: ResourceState.Ready },
        },
        {
          name: 'crd/names-not-accepted',
          description:
            'CustomResourceDefinition gadgets.example.strata.dev whose kind (Widget) is already served in the group by widgets.example.strata.dev: the naming controller sets NamesAccepted=False.',
          object: conflict,
          expect: {
            state: ResourceState.Failed,
            ...(conflictReason === undefined ? {} : { reason: conflictReason }),
          },
        },
        {
          name: 'custom-resource/ready',
          description:
            'A Widget (custom resource of the CRD above) whose status was written through the status subresource with Ready=True and observedGeneration current.',
          object: ready,
          expect: { state: ResourceState.Ready },
        },
        {
          name: 'custom-resource/install-failed',
          description:
            'A Widget whose status was written through the status subresource with Ready=False, reason InstallFailed (a terminal error, as Flux reports it), observedGeneration current.',
          object: failedInstall,
          expect: { state: ResourceState.Failed, reason: 'InstallFailed' },
        },
        {
          name: 'custom-resource/progressing',
          description:
            'A Widget whose status was written through the status subresource with Ready=False, reason Progressing (still working, not an error), observedGeneration current.',
          object: progressing,
          expect: { state: ResourceState.Progressing },
        },
      ];
    },
  },
  {
    name: 'namespace',
    async run(ctx) {
      const active = await waitFor<V1Namespace>(
        ctx,
        C.namespaces,
        undefined,
        NS,
        'Active',
        (n) => n.status?.phase === 'Active',
      );
      await ctx.rest.create<V1Namespace>('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'retiring' },
      });
      // An object with a finalizer nobody removes keeps the namespace Terminating.
      await ctx.rest.create<V1ConfigMap>(nsPath('retiring', '', 'configmaps'), {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'held', namespace: 'retiring', finalizers: ['strata.dev/hold'] },
        data: { note: 'kept by a finalizer' },
      });
      await ctx.rest.delete('/api/v1/namespaces/retiring');
      const terminating = await waitFor<V1Namespace>(
        ctx,
        C.namespaces,
        undefined,
        'retiring',
        'Terminating, finalizers remaining',
        (n) =>
          n.status?.phase === 'Terminating' &&
          n.status.conditions?.some(
            (c) => c.type === 'NamespaceFinalizersRemaining' && c.status === 'True',
          ) === true,
      );
      return [
        {
          name: 'namespace/active',
          description: `The namespace the capture creates its workloads in (${NS}), as read back: phase Active.`,
          object: active,
          expect: { state: ResourceState.Ready },
        },
        {
          name: 'namespace/terminating',
          description:
            'Namespace deleted while it holds a ConfigMap with a finalizer nobody removes: phase Terminating, and the namespace controller reports the remaining content and finalizers as conditions.',
          object: terminating,
          expect: { state: ResourceState.Terminating },
        },
      ];
    },
  },
  {
    name: 'apiservice',
    async run(ctx) {
      const apiService = await waitFor<V1APIService>(
        ctx,
        C.apiServices,
        undefined,
        'v1.apps',
        'Available',
        (a) => conditionOf(a, 'Available')?.status === 'True',
      );
      return [
        {
          name: 'apiservice/local-available',
          description: 'The APIService v1.apps, served by the kube-apiserver itself (Local): Available=True.',
          object: apiService,
          expect: { state: ResourceState.Ready },
        },
      ];
    },
  },
  {
    name: 'ingress',
    async run(ctx) {
      await ctx.rest.create<V1Ingress>(nsPath(NS, 'networking.k8s.io/v1', 'ingresses'), {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'web', namespace: NS },
        spec: {
          ingressClassName: 'nginx',
          rules: [
            {
              host: 'web.example.test',
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'web', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      });
      const ingress = await waitFor<V1Ingress>(ctx, C.ingresses, NS, 'web', 'exists', () => true);
      return [
        {
          name: 'ingress/no-address',
          description:
            'Ingress of class nginx on a cluster with no ingress controller, as read back after creation: status.loadBalancer is empty.',
          object: ingress,
          expect: { state: ResourceState.Progressing },
        },
      ];
    },
  },
];
