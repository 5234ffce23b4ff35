// Test support for engine integration tests: a runner on a real control plane, and its events as a log that
// tests can wait on (resolved by events, never by polling).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient } from '../../kube/index.js';
import { loadProfileFiles, formatIssues, type LoadedProfile } from '../../profile/index.js';
import { PackPhase, type PackStatus } from '../../status/index.js';
import { binDir } from '../../../testenv/src/paths.js';
import { desiredPacks, type DesiredOptions } from '../desired.js';
import type { RunnerEvent } from '../events.js';
import { ClusterRunner, type RunnerOptions } from '../runner.js';

export const repoRoot = join(import.meta.dirname, '..', '..', '..');
export const helmBin = (): string => join(binDir({ build: false }), 'helm');

export class EventLog {
  readonly events: RunnerEvent[] = [];
  private readonly listeners = new Set<() => void>();

  push = (event: RunnerEvent): void => {
    this.events.push(event);
    for (const l of [...this.listeners]) l();
  };

  /** The latest status of each pack. */
  latest(): Map<string, PackStatus> {
    const out = new Map<string, PackStatus>();
    for (const e of this.events) {
      if (e.type === 'PackStatusChanged') out.set(e.pack, e.status);
      if (e.type === 'PackRemoved') out.delete(e.pack);
    }
    return out;
  }

  phases(): Record<string, PackPhase> {
    return Object.fromEntries([...this.latest()].map(([pack, status]) => [pack, status.phase]));
  }

  /** Resolves when `predicate` holds over the log; rejects after `timeoutMs` with the packs' last messages. */
  until(predicate: (log: EventLog) => boolean, options: { timeoutMs: number; what: string }): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        const state = [...this.latest()]
          .map(([p, s]) => `  ${p}: ${s.phase} (${s.condition}) ${s.message}`)
          .join('\n');
        reject(
          new Error(`timed out after ${options.timeoutMs}ms waiting for ${options.what}; packs:\n${state}`),
        );
      }, options.timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  allGreen(packs: readonly string[]): boolean {
    const latest = this.latest();
    return packs.every((p) => latest.get(p)?.phase === PackPhase.Success);
  }
}

export async function loadExamples(files: readonly string[]): Promise<LoadedProfile[]> {
  const loaded = await loadProfileFiles(files.map((f) => join(repoRoot, 'examples', f)));
  if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
  return loaded.value;
}

export function desiredOrThrow(profiles: readonly LoadedProfile[], options: DesiredOptions) {
  const desired = desiredPacks(profiles, options);
  if (!desired.ok) throw new Error(formatIssues(desired.issues));
  return desired.value;
}

export async function startRunner(
  kubeconfig: string,
  cluster: string,
  options: Partial<RunnerOptions> = {},
): Promise<{ runner: ClusterRunner; log: EventLog; kube: KubeClient }> {
  const kube = KubeClient.fromFile(kubeconfig);
  const log = new EventLog();
  const runner = new ClusterRunner({
    cluster,
    kube,
    helmBin: helmBin(),
    onEvent: log.push,
    retry: { initialMs: 100, maxMs: 1000 },
    ...options,
  });
  await runner.start();
  return { runner, log, kube };
}

export interface TestPack {
  name: string;
  priority?: number;
  replicas?: number;
  behavior?: string;
  readyAfter?: string;
  timeout?: string;
  dependsOn?: readonly string[];
}

/** An add-on profile of Deployment packs, written to `dir` and loaded as a user's file would be. */
export async function deploymentProfile(
  dir: string,
  options: { name: string; version: string; namespace: string; packs: readonly TestPack[] },
): Promise<LoadedProfile[]> {
  const { name, version, namespace: ns, packs } = options;
  const yaml = [
    'apiVersion: strata.dev/v1alpha1',
    'kind: ClusterProfile',
    `metadata: { name: ${name} }`,
    'spec:',
    `  version: ${version}`,
    '  type: add-on',
    '  packs:',
    ...packs.flatMap((p) => [
      `    - name: ${p.name}`,
      '      layer: addon',
      '      version: 1.0.0',
      '      type: manifest',
      `      namespace: ${ns}`,
      `      installPriority: ${p.priority ?? 0}`,
      ...(p.timeout ? [`      timeout: ${p.timeout}`] : []),
      ...(p.dependsOn ? [`      dependsOn: [${p.dependsOn.join(', ')}]`] : []),
      '      manifests:',
      '        - apiVersion: apps/v1',
      '          kind: Deployment',
      `          metadata: { name: ${p.name} }`,
      '          spec:',
      `            replicas: ${p.replicas ?? 1}`,
      `            selector: { matchLabels: { app: ${p.name} } }`,
      '            template:',
      '              metadata:',
      `                labels: { app: ${p.name} }`,
      '                annotations:',
      ...(p.behavior ? [`                  testenv.strata.dev/behavior: ${p.behavior}`] : []),
      ...(p.readyAfter ? [`                  testenv.strata.dev/ready-after: "${p.readyAfter}"`] : []),
      '                  example.com/unused: "x"',
      `              spec: { containers: [{ name: main, image: "registry.local/${p.name}:1" }] }`,
    ]),
    '',
  ].join('\n');
  const file = join(dir, `${name}-${version}.yaml`);
  writeFileSync(file, yaml);
  const loaded = await loadProfileFiles([file]);
  if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
  return loaded.value;
}
