import type { PackView } from '../api/types';

/** Install order of layers (pack-status.md, "Waves"). Layers the UI does not know go last, by name. */
export const LAYERS = ['os', 'k8s', 'cni', 'csi', 'addon'] as const;

export interface LayerGroup {
  readonly layer: string;
  readonly packs: readonly PackView[];
}

/** Packs grouped by layer, layers in install order, packs in the order given (the page's install order). */
export function groupByLayer(packs: readonly PackView[]): LayerGroup[] {
  const byLayer = new Map<string, PackView[]>();
  for (const pack of packs) {
    const list = byLayer.get(pack.layer);
    if (list) list.push(pack);
    else byLayer.set(pack.layer, [pack]);
  }
  const rank = (layer: string) => {
    const i = (LAYERS as readonly string[]).indexOf(layer);
    return i === -1 ? LAYERS.length : i;
  };
  return [...byLayer.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([layer, list]) => ({ layer, packs: list }));
}

/** Elapsed time of a pack: running clock while it works, its duration once done, nothing while waiting. */
export function packElapsed(pack: PackView, now: number): { ms: number; running: boolean } | undefined {
  if (pack.startTime === undefined) return undefined;
  const start = Date.parse(pack.startTime);
  if (pack.endTime !== undefined && pack.phase !== 'processing') {
    return { ms: Date.parse(pack.endTime) - start, running: false };
  }
  return { ms: Math.max(0, now - start), running: pack.phase === 'processing' };
}
