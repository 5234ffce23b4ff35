// Bench profiles: written as YAML to a temp folder and loaded like a user's file (as lifecycle.int.test.ts does).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadProfileFiles, formatIssues } from '../../src/profile/index.js';
import type { DesiredPack } from '../../src/engine/desired.js';
import { desiredOrThrow } from '../../src/engine/testing/runner.js';

export interface BenchPack {
  readonly name: string;
  readonly priority: number;
  readonly configMaps: number;
  readonly deployment?: { readonly replicas: number; readonly readyAfter?: string };
}

export const configMapName = (pack: string, index: number): string =>
  `${pack}-${String(index).padStart(3, '0')}`;

function manifests(pack: BenchPack): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < pack.configMaps; i++) {
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: configMapName(pack.name, i) },
      data: { index: String(i), payload: 'x'.repeat(64) },
    });
  }
  const d = pack.deployment;
  if (d) {
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: pack.name },
      spec: {
        replicas: d.replicas,
        selector: { matchLabels: { app: pack.name } },
        template: {
          metadata: {
            labels: { app: pack.name },
            ...(d.readyAfter ? { annotations: { 'testenv.strata.dev/ready-after': d.readyAfter } } : {}),
          },
          spec: { containers: [{ name: 'main', image: `registry.local/${pack.name}:1` }] },
        },
      },
    });
  }
  return out;
}

/** One add-on profile of manifest packs, all in `namespace`, resolved for `cluster`. */
export async function benchProfile(options: {
  dir: string;
  name: string;
  cluster: string;
  namespace: string;
  packs: readonly BenchPack[];
}): Promise<DesiredPack[]> {
  const doc = {
    apiVersion: 'strata.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: options.name },
    spec: {
      version: '1.0.0',
      type: 'add-on',
      packs: options.packs.map((p) => ({
        name: p.name,
        layer: 'addon',
        version: '1.0.0',
        type: 'manifest',
        namespace: options.namespace,
        installPriority: p.priority,
        manifests: manifests(p),
      })),
    },
  };
  const file = join(options.dir, `${options.name}.yaml`);
  writeFileSync(file, stringify(doc));
  const loaded = await loadProfileFiles([file]);
  if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
  return desiredOrThrow(loaded.value, { cluster: options.cluster });
}
