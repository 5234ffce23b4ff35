// Test and benchmark support: a profile of many small packs over a few waves, for counting what an install
// costs on the fake kube (src/engine/runner-events.test.ts, bench/engine-events.bench.ts).
import type { KubeObject } from '../../profile/index.js';
import type { DesiredPack } from '../desired.js';
import { desiredManifestPack } from './packs.js';

export const configMap = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data: { key: name },
});

/** `packs` manifest packs (one ConfigMap each: green once applied) spread evenly over `waves` waves. */
export function wavedPacks(packs: number, waves: number, object = configMap): DesiredPack[] {
  return Array.from({ length: packs }, (_, i) => {
    const wave = Math.floor((i * waves) / packs) + 1;
    const name = `pack-${String(i).padStart(4, '0')}`;
    return desiredManifestPack({
      pack: { name, installPriority: wave, manifests: [object(name)] },
      wave,
      order: i,
    });
  });
}
