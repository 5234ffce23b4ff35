import { existsSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  type V1DaemonSet,
  type V1Deployment,
  type V1Job,
  type V1Pod,
  type V1PodSpec,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up, type ControlPlaneState } from './controlplane.js';
import { TestenvError } from './errors.js';
import { stateDirOf } from './paths.js';
import { isPortFree } from './ports.js';
import { isAlive } from './process.js';
import { watchUntil } from './watch-until.js';

const NAME = 'testenv-it';
const NS = 'default';
let state: ControlPlaneState;
let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;
let batch: BatchV1Api;

beforeAll(async () => {
  await down({ name: NAME });
  state = await up({ name: NAME, nodes: 3 });
  kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  batch = kc.makeApiClient(BatchV1Api);
});

afterAll(async () => {
  await down({ name: NAME });
});

function podSpec(app: string, extra: Partial<V1PodSpec> = {}): V1PodSpec {
  return { containers: [{ name: 'main', image: `registry.local/${app}:1.0` }], ...extra };
}

function template(
  app: string,
  annotations: Record<string, string> = {},
  spec: Partial<V1PodSpec> = {},
): V1PodTemplateSpec {
  return { metadata: { labels: { app }, annotations }, spec: podSpec(app, spec) };
}

function podsOf(app: string, predicate: (pod: V1Pod) => boolean, description: string, timeoutMs = 30_000) {
  return watchUntil<V1Pod>(kc, predicate, {
    path: `/api/v1/namespaces/${NS}/pods`,
    labelSelector: `app=${app}`,
    timeoutMs,
    description,
  });
}

const isReady = (pod: V1Pod) =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const waitingReason = (pod: V1Pod) => pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;

async function createPod(app: string, annotations: Record<string, string>, extra: Partial<V1PodSpec> = {}) {
  await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: app, labels: { app }, annotations },
      spec: podSpec(app, { restartPolicy: 'Never', ...extra }),
    },
  });
}

describe('a local control plane', () => {
  it('binds only to 127.0.0.1 and has 3 Ready simulated nodes', async () => {
    expect(state.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const nodes = (await core.listNode()).items;
    expect(nodes.map((n) => n.metadata?.name).sort()).toEqual(['node-0', 'node-1', 'node-2']);
    for (const node of nodes) {
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });

  it("serves etcd's client and peer ports only to clients with a certificate of its CA; its state is the user's alone", async () => {
    // Review 12, item 6: etcd served plain HTTP with no client authentication, so any local user had the store.
    const dir = stateDirOf(NAME);
    const tls = Object.fromEntries(
      (['admin.crt', 'admin.key', 'etcd-ca.crt', 'etcd-client.crt', 'etcd-client.key'] as const).map((f) => [
        f,
        readFileSync(join(dir, f)),
      ]),
    );
    const get = (url: string, options: RequestOptions = {}) =>
      new Promise<string>((resolve) => {
        const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(
          url,
          { ...options, timeout: 5000 },
          (res) => {
            res.resume();
            resolve(`HTTP ${String(res.statusCode)}`);
          },
        );
        req.on('error', (e) => {
          resolve(`error: ${e.message}`);
        });
        req.end();
      });
    for (const port of [state.ports.etcdClient, state.ports.etcdPeer]) {
      expect(await get(`http://127.0.0.1:${String(port)}/health`)).not.toBe('HTTP 200');
      // TLS 1.3: the server refuses a client without a certificate after the handshake, at the first read.
      expect(await get(`https://127.0.0.1:${String(port)}/health`, { ca: tls['etcd-ca.crt'] })).toMatch(
        /^error: /,
      );
      // Nor one of the cluster's CA (review 13, item 4: the controller manager signs approved CSRs with it).
      const clusterCert = { ca: tls['etcd-ca.crt'], cert: tls['admin.crt'], key: tls['admin.key'] };
      expect(await get(`https://127.0.0.1:${String(port)}/health`, clusterCert)).toMatch(/^error: /);
    }
    const withCert = { ca: tls['etcd-ca.crt'], cert: tls['etcd-client.crt'], key: tls['etcd-client.key'] };
    expect(await get(`https://127.0.0.1:${String(state.ports.etcdClient)}/health`, withCert)).toBe(
      'HTTP 200',
    );
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('runs a Deployment of 3 replicas to Available with 3 Running and Ready pods', async () => {
    const body: V1Deployment = {
      metadata: { name: 'web' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template('web') },
    };
    await apps.createNamespacedDeployment({ namespace: NS, body });
    const deployment = await watchUntil<V1Deployment>(
      kc,
      (d) =>
        d.metadata?.name === 'web' &&
        d.status?.availableReplicas === 3 &&
        d.status.conditions?.some((c) => c.type === 'Available' && c.status === 'True') === true,
      {
        path: `/apis/apps/v1/namespaces/${NS}/deployments`,
        timeoutMs: 60_000,
        description: 'Deployment web available',
      },
    );
    expect(deployment.status?.readyReplicas).toBe(3);
    const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' })).items;
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.status?.phase).toBe('Running');
      expect(isReady(pod)).toBe(true);
      expect(pod.spec?.nodeName).toMatch(/^node-\d$/);
    }
  });

  it('runs a hostNetwork DaemonSet (a node exporter, a CNI agent) to Running and Ready on every node', async () => {
    const body: V1DaemonSet = {
      metadata: { name: 'node-agent' },
      spec: {
        selector: { matchLabels: { app: 'node-agent' } },
        template: template('node-agent', {}, { hostNetwork: true }),
      },
    };
    await apps.createNamespacedDaemonSet({ namespace: NS, body });
    const daemonSet = await watchUntil<V1DaemonSet>(
      kc,
      (d) =>
        d.metadata?.name === 'node-agent' &&
        d.status?.desiredNumberScheduled === 3 &&
        d.status.numberReady === 3 &&
        d.status.numberAvailable === 3,
      {
        path: `/apis/apps/v1/namespaces/${NS}/daemonsets`,
        timeoutMs: 60_000,
        description: 'DaemonSet node-agent ready on 3 nodes',
      },
    );
    expect(daemonSet.status?.numberReady).toBe(3);
    const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=node-agent' })).items;
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.status?.phase).toBe('Running');
      expect(isReady(pod)).toBe(true);
      // A hostNetwork pod has its node's address, as on a real kubelet.
      expect(pod.status?.podIP).toBe(pod.status?.hostIP);
      expect(pod.status?.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    }
  });

  it('is idempotent: up on a running control plane returns it unchanged', async () => {
    const again = await up({ name: NAME, nodes: 3 });
    expect(again.processes.map((p) => p.pid)).toEqual(state.processes.map((p) => p.pid));
    expect(again.server).toBe(state.server);
  });
});

describe('failure simulation (pod template annotations)', () => {
  it('ready-after: the pod stays unready until the delay has passed', async () => {
    const created = Date.now();
    await createPod('slow', { 'testenv.strata.dev/ready-after': '4s' });
    const pending = await podsOf('slow', (p) => p.status?.podIP !== undefined, 'slow pod to get an IP');
    expect(isReady(pending)).toBe(false);
    await podsOf('slow', isReady, 'slow pod Ready');
    expect(Date.now() - created).toBeGreaterThanOrEqual(4000);
  });

  it('never-ready: Running with Ready=False, and it stays so', async () => {
    await createPod('stuck', { 'testenv.strata.dev/behavior': 'never-ready' });
    await podsOf('stuck', (p) => p.status?.phase === 'Running', 'stuck pod Running');
    await new Promise((r) => setTimeout(r, 3000));
    const pod = await core.readNamespacedPod({ name: 'stuck', namespace: NS });
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
  });

  it('image-pull-backoff: ErrImagePull, then ImagePullBackOff naming the image', async () => {
    await createPod('badimage', { 'testenv.strata.dev/behavior': 'image-pull-backoff' });
    const pulling = await podsOf('badimage', (p) => waitingReason(p) === 'ErrImagePull', 'ErrImagePull');
    expect(pulling.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain(
      'registry.local/badimage:1.0',
    );
    const backoff = await podsOf(
      'badimage',
      (p) => waitingReason(p) === 'ImagePullBackOff',
      'ImagePullBackOff',
    );
    expect(backoff.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe(
      'Back-off pulling image "registry.local/badimage:1.0"',
    );
    expect(backoff.status?.phase).toBe('Pending');
  });

  it('crash-loop: CrashLoopBackOff with a restart count and the last exit code', async () => {
    await createPod('crasher', { 'testenv.strata.dev/behavior': 'crash-loop' });
    const pod = await podsOf('crasher', (p) => waitingReason(p) === 'CrashLoopBackOff', 'CrashLoopBackOff');
    const status = pod.status?.containerStatuses?.[0];
    expect(status?.restartCount).toBeGreaterThan(0);
    expect(status?.lastState?.terminated?.exitCode).toBe(1);
    expect(status?.state?.waiting?.message).toContain('restarting failed container=main pod=crasher');
  });

  it('fail: the pod terminates with an error, phase Failed', async () => {
    await createPod('failer', { 'testenv.strata.dev/behavior': 'fail' });
    const pod = await podsOf('failer', (p) => p.status?.phase === 'Failed', 'pod Failed');
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 1,
      reason: 'Error',
    });
  });

  it('a pod no node can take stays Pending with the scheduler message', async () => {
    await createPod('nowhere', {}, { nodeSelector: { 'no-such-label': 'x' } });
    const pod = await podsOf(
      'nowhere',
      (p) =>
        p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') === true,
      'Unschedulable',
    );
    expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toMatch(
      /0\/3 nodes are available/,
    );
  });

  const job = (name: string, annotations: Record<string, string>): V1Job => ({
    metadata: { name },
    spec: { backoffLimit: 1, template: template(name, annotations, { restartPolicy: 'Never' }) },
  });
  const jobsPath = `/apis/batch/v1/namespaces/${NS}/jobs`;

  it('a Job whose pods succeed becomes Complete', async () => {
    await batch.createNamespacedJob({ namespace: NS, body: job('migrate', {}) });
    const done = await watchUntil<V1Job>(
      kc,
      (j) =>
        j.metadata?.name === 'migrate' &&
        j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') === true,
      { path: jobsPath, timeoutMs: 60_000, description: 'Job migrate Complete' },
    );
    expect(done.status?.succeeded).toBe(1);
  });

  it('a Job whose pods fail ends Failed with BackoffLimitExceeded', async () => {
    await batch.createNamespacedJob({
      namespace: NS,
      body: job('broken', { 'testenv.strata.dev/behavior': 'fail' }),
    });
    const failed = await watchUntil<V1Job>(
      kc,
      (j) =>
        j.metadata?.name === 'broken' &&
        j.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') === true,
      { path: jobsPath, timeoutMs: 90_000, description: 'Job broken Failed' },
    );
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(failed.status?.failed).toBe(2);
  });
});

describe('up and down', () => {
  it('runs a second, independent control plane beside the first, and down leaves no process, port or state', async () => {
    const second = await up({ name: 'testenv-it-2', nodes: 1 });
    try {
      expect(second.server).not.toBe(state.server);
      const kc2 = new KubeConfig();
      kc2.loadFromFile(second.kubeconfig);
      expect((await kc2.makeApiClient(CoreV1Api).listNode()).items).toHaveLength(1);
    } finally {
      await down({ name: 'testenv-it-2' });
    }
    for (const p of second.processes)
      expect(isAlive(p.pid), `${p.component} (pid ${p.pid}) still running`).toBe(false);
    for (const [what, port] of Object.entries(second.ports)) {
      expect(await isPortFree(port), `${what} port ${port} still in use`).toBe(true);
    }
    expect(existsSync(stateDirOf('testenv-it-2'))).toBe(false);
    // The first control plane is untouched.
    expect((await core.listNode()).items).toHaveLength(3);
  });

  it('up with a port in use names the step and the port, and starts nothing', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen({ port: 0, host: '127.0.0.1' }, r));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const attempt = up({ name: 'testenv-it-busy', apiServerPort: port });
      await expect(attempt).rejects.toThrow(TestenvError);
      await expect(attempt).rejects.toThrow(`ports: 127.0.0.1:${port} is already in use`);
      expect(existsSync(stateDirOf('testenv-it-busy'))).toBe(false);
    } finally {
      blocker.close();
    }
  });
});
