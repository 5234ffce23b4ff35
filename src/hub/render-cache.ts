// The engine's RenderCache on the hub's store (ADR 0007): each Helm pack's rendering of its current revision,
// sealed in the database, so a resync, a drift correction or a restarted hub (another replica too) applies the
// same objects, and generated passwords and certificates stay what they were.
import type { RenderCache } from '../engine/index.js';
import { StoreErrorCode, isStoreError, type Store } from '../store/index.js';

export function storedRenderCache(
  store: Store,
  cluster: string,
  log: (message: string) => void,
): RenderCache {
  return {
    get: async (pack) => {
      try {
        return await store.renders.get(cluster, pack);
      } catch (error) {
        // An entry that no longer opens was altered in the database: render the revision again (and overwrite
        // it) rather than leave the pack retrying for ever. Other errors (the database does not answer) are
        // retried by the runner.
        if (!isStoreError(error) || error.code !== StoreErrorCode.SecretCorrupt) throw error;
        log(
          `strata: cluster ${cluster}: the stored rendering of pack ${pack} is unreadable, rendering it again: ${error.message}`,
        );
        return undefined;
      }
    },
    put: (pack, entry) => store.renders.put(cluster, pack, entry),
    forget: (pack) => store.renders.forget(cluster, pack),
  };
}
