// The runner's RenderCache in the agent's state dir (ADR 0007): each Helm pack's rendering of its revision,
// kept across restarts, so a restarted agent applies the very objects it applied before (a chart's generated
// passwords and certificates stay what they were) and unchanged objects are left alone. The files hold the
// chart's Secrets as rendered: mode 0600 in a 0700 folder, like the cluster's own credentials beside them.
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RenderCache, RenderCacheEntry } from '../engine/index.js';
import { readJson, writeAtomically } from './outbox.js';

export function fileRenderCache(dir: string): RenderCache {
  const ready = mkdir(dir, { recursive: true, mode: 0o700 });
  // Pack names are DNS labels, but the file name must not depend on that.
  const file = (pack: string) =>
    join(dir, `${createHash('sha256').update(pack).digest('hex').slice(0, 32)}.json`);
  return {
    get: async (pack) => {
      await ready;
      return readJson<RenderCacheEntry>(file(pack));
    },
    put: async (pack, entry) => {
      await ready;
      await writeAtomically(file(pack), JSON.stringify(entry));
    },
    forget: async (pack) => {
      await ready;
      await rm(file(pack), { force: true });
    },
  };
}
