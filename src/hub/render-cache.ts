// The engine's RenderCache on the hub's store (ADR 0007): each Helm pack's rendering of its current revision,
// sealed in the database, so a resync, a drift correction or a restarted hub (another replica too) applies the
// same objects, and generated passwords and certificates stay what they were.
import type { RenderCache } from '../engine/index.js';
import type { Store } from '../store/index.js';

export function storedRenderCache(store: Store, cluster: string): RenderCache {
  return {
    get: (pack) => store.renders.get(cluster, pack),
    put: (pack, entry) => store.renders.put(cluster, pack, entry),
    forget: (pack) => store.renders.forget(cluster, pack),
  };
}
