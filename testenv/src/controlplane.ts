import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { TestenvError } from './errors.js';
import { binDir, kubeconfigPathOf, podStagesFile, stateDirOf } from './paths.js';
import { adminKubeconfig, createPki, type Pki } from './pki.js';
import { freePort, isPortFree } from './ports.js';
import { isAlive, sleep, startDetached, stopGroup, tail, type Started } from './process.js';

export const Component = {
  Etcd: 'etcd',
  ApiServer: 'kube-apiserver',
  ControllerManager: 'kube-controller-manager',
  Scheduler: 'kube-scheduler',
  Kwok: 'kwok',
} as const;
export type Component = (typeof Component)[keyof typeof Component];

/** Every port a control plane listens on, all on 127.0.0.1. */
export type Ports = Record<
  'etcdClient' | 'etcdPeer' | 'apiServer' | 'controllerManager' | 'scheduler',
  number
>;

/** What `up` leaves in <state>/controlplane.json: enough for `down` (from another process) to stop it all. */
export interface ControlPlaneState {
  name: string;
  nodes: number;
  ports: Ports;
  processes: Started[];
  kubeconfig: string;
  server: string;
  /** With `audit`: the API server's audit log (JSON lines, one per write, see AUDIT_POLICY). */
  auditLog?: string;
}

export interface UpOptions {
  /** Names the control plane and its state folder; several can run side by side. Default "strata". */
  name?: string;
  /** Simulated nodes kept Ready by kwok. Default 3. */
  nodes?: number;
  /** The API server's port on 127.0.0.1; default: a free one. */
  apiServerPort?: number;
  /** Build missing binaries first (testenv/build). Default true. */
  build?: boolean;
  /** Progress lines go here. Default: nowhere. */
  log?: (line: string) => void;
  /**
   * Keep an audit log of every write (create, update, patch, delete) with its user agent and times, in
   * `auditLog`: who wrote what, and when, as the API server saw it. Default false.
   */
  audit?: boolean;
  /**
   * kube-controller-manager's request rate to the API server (`--kube-api-qps`, burst 1.5 ×). Default: its own
   * (20 per second), which paces a large install: 1,000 Deployments take its controllers ~4,000 writes.
   */
  controllerManagerQps?: number;
}

/**
 * Writes only, at Metadata level (verb, object, user, user agent, times; no bodies), and only once answered:
 * https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#audit-policy
 */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
  - level: Metadata
    verbs: [create, update, patch, delete, deletecollection]
  - level: None
`;

const STATE_FILE = 'controlplane.json';

export async function readState(name: string): Promise<ControlPlaneState | undefined> {
  const file = join(stateDirOf(name), STATE_FILE);
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as ControlPlaneState;
}

/**
 * Starts a control plane bound to 127.0.0.1 (etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
 * kwok) with `nodes` simulated nodes kept Ready, and returns its state once nodes are Ready and the default
 * service account exists (so pods can be created at once). Idempotent: a running, healthy control plane of the
 * same name is returned as it is. On any failure everything this call started is stopped again.
 */
export async function up(options: UpOptions = {}): Promise<ControlPlaneState> {
  const name = options.name ?? 'strata';
  const nodes = options.nodes ?? 3;
  const log = options.log ?? (() => undefined);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    throw new TestenvError(
      'up',
      `invalid control plane name "${name}": use lowercase letters, digits and '-'`,
    );
  }

  const existing = await readState(name);
  if (existing) {
    const auditAsAsked = (options.audit ?? false) === (existing.auditLog !== undefined);
    if (auditAsAsked && existing.processes.every((p) => isAlive(p.pid)) && (await apiServerReady(existing))) {
      log(`control plane "${name}" is already running`);
      return existing;
    }
    log(`control plane "${name}" was left half-running; stopping what remains and starting again`);
    await down({ name });
  }

  // Checked before anything is created, so a refused start leaves nothing behind.
  const ports = await choosePorts(options.apiServerPort);
  const bin = binDir({ build: options.build ?? true });
  const dir = stateDirOf(name);
  // Its keys, kubeconfig and etcd data are the cluster's: no other local user reads them.
  await mkdir(join(dir, 'logs'), { recursive: true });
  await chmod(dir, 0o700);
  const started: Started[] = [];
  try {
    const pki = await step('pki', () => createPki(dir));
    const server = `https://127.0.0.1:${ports.apiServer}`;
    const kubeconfig = kubeconfigPathOf(name);
    await writeFile(kubeconfig, await adminKubeconfig(pki, { name, server }), { mode: 0o600 });
    const auditLog = options.audit === true ? join(dir, 'logs', 'audit.log') : undefined;
    const state: ControlPlaneState = {
      name,
      nodes,
      ports,
      processes: started,
      kubeconfig,
      server,
      ...(auditLog === undefined ? {} : { auditLog }),
    };
    const saveState = () => writeFile(join(dir, STATE_FILE), JSON.stringify(state, null, 2));

    const start = async (component: Component, args: string[]) => {
      started.push(
        startDetached(component, join(bin, component), args, join(dir, 'logs', `${component}.log`)),
      );
      await saveState();
    };

    log('starting etcd');
    await start(Component.Etcd, etcdArgs(dir, ports, pki));
    const etcdClient = await etcdClientTls(pki);
    await waitFor(
      Component.Etcd,
      started,
      () => httpsOk(`https://127.0.0.1:${ports.etcdClient}/health`, etcdClient),
      30_000,
    );

    log('starting kube-apiserver');
    const auditArgs: string[] = [];
    if (auditLog !== undefined) {
      const policy = join(dir, 'audit-policy.yaml');
      await writeFile(policy, AUDIT_POLICY);
      await rm(auditLog, { force: true });
      // Blocking: an entry is written before the request is answered, so a test reads it right after.
      auditArgs.push(
        `--audit-policy-file=${policy}`,
        `--audit-log-path=${auditLog}`,
        '--audit-log-mode=blocking',
        '--audit-log-format=json',
      );
    }
    await start(Component.ApiServer, [...apiServerArgs(dir, ports, pki), ...auditArgs]);
    await waitFor(Component.ApiServer, started, () => apiServerReady(state), 90_000);

    log('starting kube-controller-manager, kube-scheduler and kwok');
    const qps = options.controllerManagerQps;
    const rate =
      qps === undefined
        ? []
        : [`--kube-api-qps=${String(qps)}`, `--kube-api-burst=${String(Math.ceil(qps * 1.5))}`];
    await start(Component.ControllerManager, [
      ...controllerManagerArgs(dir, ports, pki, kubeconfig),
      ...rate,
    ]);
    await start(Component.Scheduler, schedulerArgs(dir, ports, kubeconfig));
    await start(Component.Kwok, [
      '--kubeconfig',
      kubeconfig,
      '--manage-all-nodes=true',
      '--config',
      podStagesFile,
      '--cidr=10.244.0.0/16',
      '--node-lease-duration-seconds=40',
    ]);

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    log(`creating ${nodes} simulated nodes`);
    await step('nodes', () => createNodes(core, nodes));
    await waitFor('nodes Ready', started, () => nodesReady(core, nodes), 60_000);
    await waitFor('default service account', started, () => defaultServiceAccountExists(core), 60_000);
    await saveState();
    return state;
  } catch (error) {
    for (const p of started.toReversed()) await stopGroup(p.pid, { graceMs: 3000 });
    if (error instanceof TestenvError) throw error;
    throw new TestenvError('up', error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** Stops every process of the named control plane and removes its state folder. Idempotent. */
export async function down(options: { name?: string } = {}): Promise<void> {
  const name = options.name ?? 'strata';
  const state = await readState(name);
  // kube-apiserver first would leave the others logging connection errors; stop in reverse start order.
  for (const p of (state?.processes ?? []).toReversed()) await stopGroup(p.pid, { graceMs: 5000 });
  await rm(stateDirOf(name), { recursive: true, force: true });
}

async function choosePorts(apiServerPort: number | undefined): Promise<Ports> {
  if (apiServerPort !== undefined && !(await isPortFree(apiServerPort))) {
    throw new TestenvError('ports', `127.0.0.1:${apiServerPort} is already in use`, {
      hint: 'stop whatever listens there (ss -ltnp), or leave the port out to get a free one',
    });
  }
  const picked = new Set<number>(apiServerPort === undefined ? [] : [apiServerPort]);
  const next = async () => {
    for (;;) {
      const port = await freePort();
      if (!picked.has(port)) {
        picked.add(port);
        return port;
      }
    }
  };
  return {
    apiServer: apiServerPort ?? (await next()),
    etcdClient: await next(),
    etcdPeer: await next(),
    controllerManager: await next(),
    scheduler: await next(),
  };
}

/**
 * etcd on TLS with client certificates of the control plane's CA, for clients and its peer port alike: its data
 * is the whole cluster (Secrets too), and on plain HTTP any local user could read or write it.
 */
function etcdArgs(dir: string, ports: Ports, pki: Pki): string[] {
  const client = `https://127.0.0.1:${ports.etcdClient}`;
  const peer = `https://127.0.0.1:${ports.etcdPeer}`;
  return [
    `--cert-file=${pki.etcdCert}`,
    `--key-file=${pki.etcdKey}`,
    `--trusted-ca-file=${pki.etcdCaCert}`,
    '--client-cert-auth',
    `--peer-cert-file=${pki.etcdCert}`,
    `--peer-key-file=${pki.etcdKey}`,
    `--peer-trusted-ca-file=${pki.etcdCaCert}`,
    '--peer-client-cert-auth',
    '--name=testenv',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=testenv=${peer}`,
    // A throwaway store on a shared disk: durability is not worth the fsync latency here.
    '--unsafe-no-fsync',
    '--quota-backend-bytes=2147483648',
    '--log-level=warn',
  ];
}

function apiServerArgs(dir: string, ports: Ports, pki: Pki): string[] {
  return [
    `--etcd-servers=https://127.0.0.1:${ports.etcdClient}`,
    `--etcd-cafile=${pki.etcdCaCert}`,
    `--etcd-certfile=${pki.etcdClientCert}`,
    `--etcd-keyfile=${pki.etcdClientKey}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiServer}`,
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    `--tls-cert-file=${pki.serverCert}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--client-ca-file=${pki.caCert}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    // Flow control and profiling cost CPU on a 2-core machine and protect nothing in a test cluster.
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    '--enable-garbage-collector=true',
    '--v=1',
  ];
}

function controllerManagerArgs(dir: string, ports: Ports, pki: Pki, kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.controllerManager}`,
    `--cert-dir=${join(dir, 'controller-manager-certs')}`,
    '--leader-elect=false',
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--root-ca-file=${pki.caCert}`,
    `--cluster-signing-cert-file=${pki.caCert}`,
    `--cluster-signing-key-file=${pki.caKey}`,
    '--profiling=false',
    '--v=1',
  ];
}

function schedulerArgs(dir: string, ports: Ports, kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.scheduler}`,
    `--cert-dir=${join(dir, 'scheduler-certs')}`,
    '--leader-elect=false',
    '--profiling=false',
    '--v=1',
  ];
}

function nodeObject(index: number): V1Node {
  const name = `node-${index}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/zone': `zone-${String.fromCharCode(97 + (index % 3))}`,
        type: 'kwok',
      },
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    status: {
      // kwok gives a hostNetwork pod its node's address (PodIPWith → the node's InternalIP): without one the
      // pod's IP renders empty, so it never leaves ContainerCreating. Outside the pod CIDR, one per node.
      addresses: [
        { type: 'InternalIP', address: `172.18.0.${index + 2}` },
        { type: 'Hostname', address: name },
      ],
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
    },
  };
}

async function createNodes(core: CoreV1Api, count: number): Promise<void> {
  const existing = new Set((await core.listNode()).items.map((n) => n.metadata?.name));
  for (let i = 0; i < count; i++) {
    const node = nodeObject(i);
    if (!existing.has(node.metadata?.name)) await core.createNode({ body: node });
  }
}

async function nodesReady(core: CoreV1Api, count: number): Promise<boolean> {
  const ready = (await core.listNode()).items.filter((n) =>
    n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  return ready.length >= count;
}

async function defaultServiceAccountExists(core: CoreV1Api): Promise<boolean> {
  try {
    await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
    return true;
  } catch {
    return false;
  }
}

async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof TestenvError) throw error;
    throw new TestenvError(name, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/**
 * Polls `check` until it holds. Startup is the one place testenv polls: there is nothing to watch before the
 * API server answers. Fails early, with the component's log, when a process it started has exited.
 */
async function waitFor(
  what: string,
  started: Started[],
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const dead = started.find((p) => !isAlive(p.pid));
    if (dead) {
      throw new TestenvError(
        dead.component,
        `exited while waiting for ${what}. Last lines of ${dead.log}:\n${tail(dead.log)}`,
      );
    }
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(100);
  }
  const last = started.at(-1);
  const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new TestenvError(what, `not ready after ${timeoutMs / 1000}s${detail}`, {
    hint: last ? `see ${last.log}` : undefined,
  });
}

interface ClientTls {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** What a client of etcd presents: the API server's client certificate for it. */
async function etcdClientTls(pki: Pki): Promise<ClientTls> {
  const [ca, cert, key] = await Promise.all(
    [pki.etcdCaCert, pki.etcdClientCert, pki.etcdClientKey].map((f) => readFile(f)),
  );
  if (!ca || !cert || !key) throw new TestenvError('pki', 'the etcd client certificate is missing');
  return { ca, cert, key };
}

function httpsOk(url: string, tls: ClientTls): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { ...tls, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => {
      resolve(false);
    });
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** GET /readyz with the admin client certificate. */
export async function apiServerReady(state: ControlPlaneState): Promise<boolean> {
  const dir = stateDirOf(state.name);
  const [ca, cert, key] = await Promise.all(
    ['ca.crt', 'admin.crt', 'admin.key'].map((f) => readFile(join(dir, f)).catch(() => undefined)),
  );
  if (!ca || !cert || !key) return false;
  return new Promise((resolve) => {
    const req = request(`${state.server}/readyz`, { ca, cert, key, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => {
      resolve(false);
    });
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * Crashes one component of a running control plane (SIGKILL to its process group, no graceful stop) and
 * returns a function that starts it again with the same command line and log, recording the new pid so
 * down() stops it, and resolving once it is ready again (for kube-apiserver: /readyz). etcd's data survives,
 * so this is an outage, not a new cluster. For tests of reconnection and restart safety.
 */
export async function crash(options: { name: string; component: Component }): Promise<() => Promise<void>> {
  const state = await readState(options.name);
  const victim = state?.processes.find((p) => p.component === options.component);
  if (!state || !victim)
    throw new TestenvError('crash', `no ${options.component} in control plane "${options.name}"`);
  const [command, ...args] = (await readFile(`/proc/${victim.pid}/cmdline`, 'utf8'))
    .split('\0')
    .filter(Boolean);
  if (!command) throw new TestenvError('crash', `could not read the command line of ${options.component}`);
  await stopGroup(victim.pid, { graceMs: 0 });
  return async () => {
    const started = startDetached(options.component, command, args, victim.log);
    const file = join(stateDirOf(options.name), STATE_FILE);
    const current = JSON.parse(await readFile(file, 'utf8')) as ControlPlaneState;
    current.processes = current.processes.map((p) => (p.component === options.component ? started : p));
    await writeFile(file, JSON.stringify(current, null, 2));
    if (options.component === Component.ApiServer) {
      await waitFor('kube-apiserver after restart', [started], () => apiServerReady(current), 30_000);
    }
  };
}
