// What the hub benches do through a real hub's HTTP API (bench/hub-process.ts starts it): register a cluster,
// import and attach a profile, read a cluster's rollup, and the hub's CPU time from /proc.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HubProcess } from '../hub-process.js';

export async function api(
  hub: HubProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  try {
    return await call(hub, method, path, body);
  } catch (error) {
    // A poll (GET) that met a kept-alive socket the hub was closing (its 5 s keep-alive, on a loaded machine
    // where this process's 1 s sleeps run late) is sent again once; anything else is the bench's failure.
    const reset = (error as { cause?: { code?: string } }).cause?.code === 'ECONNRESET';
    if (method !== 'GET' || !reset) throw error;
    return call(hub, method, path, body);
  }
}

async function call(
  hub: HubProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${hub.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${hub.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** Calls the API and throws, naming the call and the hub's answer, unless it answered `expected`. */
export async function apiOk(
  hub: HubProcess,
  method: string,
  path: string,
  expected: number,
  body?: unknown,
): Promise<unknown> {
  const r = await api(hub, method, path, body);
  if (r.status !== expected)
    throw new Error(`${method} ${path}: HTTP ${String(r.status)}: ${JSON.stringify(r.json).slice(0, 500)}`);
  return r.json;
}

export interface BenchPackSpec {
  readonly name: string;
  readonly namespace: string;
  readonly configMaps: number;
  /** A Deployment of this many pods per pack, ready after `readyAfter` (kwok's pod stages). */
  readonly deployment?: { readonly replicas: number; readonly readyAfter: string };
  readonly priority?: number;
}

/** A ClusterProfile of manifest packs as YAML (flow style, so 50,000 objects stay a few MiB). */
export function profileYaml(name: string, packs: readonly BenchPackSpec[]): string {
  const lines = [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    `metadata: { name: ${name} }`,
    'spec:',
    '  version: 1.0.0',
    '  type: add-on',
    '  packs:',
  ];
  for (const p of packs) {
    lines.push(
      `    - name: ${p.name}`,
      '      layer: addon',
      '      version: 1.0.0',
      '      type: manifest',
      `      namespace: ${p.namespace}`,
      ...(p.priority === undefined ? [] : [`      installPriority: ${String(p.priority)}`]),
      '      manifests:',
    );
    for (let i = 0; i < p.configMaps; i++)
      lines.push(
        `        - { apiVersion: v1, kind: ConfigMap, metadata: { name: ${configMapOf(p.name, i)} }, data: { i: "${String(i)}" } }`,
      );
    if (p.deployment !== undefined)
      lines.push(
        '        - apiVersion: apps/v1',
        '          kind: Deployment',
        `          metadata: { name: ${p.name} }`,
        '          spec:',
        `            replicas: ${String(p.deployment.replicas)}`,
        `            selector: { matchLabels: { app: ${p.name} } }`,
        '            template:',
        '              metadata:',
        `                labels: { app: ${p.name} }`,
        `                annotations: { testenv.strata.dev/ready-after: "${p.deployment.readyAfter}" }`,
        `              spec: { containers: [{ name: main, image: "registry.local/${p.name}:1" }] }`,
      );
  }
  return `${lines.join('\n')}\n`;
}

export const configMapOf = (pack: string, index: number): string => `${pack}-${String(index)}`;

/** Imports the profile and attaches it to the cluster: its packs start installing. */
export async function attachProfile(
  hub: HubProcess,
  cluster: string,
  name: string,
  packs: readonly BenchPackSpec[],
): Promise<void> {
  await apiOk(hub, 'POST', '/api/v1/profiles', 201, { yaml: profileYaml(name, packs), file: `${name}.yaml` });
  await apiOk(hub, 'POST', `/api/v1/clusters/${cluster}/attachments`, 201, { profile: name });
}

interface ClusterRollup {
  readonly packs: number;
  readonly counts: { readonly success: number; readonly failed: number };
}

/** Polls the cluster's rollup (a cheap read) until `packs` packs are green; throws on a timeout. */
export async function untilGreen(
  hub: HubProcess,
  cluster: string,
  packs: number,
  options: { timeoutMs: number; intervalMs?: number; log?: (line: string) => void },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let said = 0;
  for (;;) {
    const view = (await apiOk(hub, 'GET', `/api/v1/clusters/${cluster}`, 200)) as ClusterRollup;
    if (view.packs >= packs && view.counts.success >= packs) return;
    if (Date.now() > deadline)
      throw new Error(
        `cluster ${cluster}: ${String(view.counts.success)} of ${String(packs)} packs green ` +
          `(${String(view.counts.failed)} failed) after ${String(options.timeoutMs / 1000)} s`,
      );
    if (options.log !== undefined && Date.now() - said > 15_000) {
      said = Date.now();
      options.log(`  ${String(view.counts.success)} / ${String(packs)} packs green`);
    }
    await sleep(options.intervalMs ?? 500);
  }
}

/** The process's CPU time (user + system), in milliseconds. */
export async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** The share of one core the process used over `ms` milliseconds of idling, in percent. */
export async function idleCpuPercent(pid: number, ms: number): Promise<number> {
  const before = await cpuMsOf(pid);
  const start = performance.now();
  await sleep(ms);
  const used = (await cpuMsOf(pid)) - before;
  return (used / (performance.now() - start)) * 100;
}
