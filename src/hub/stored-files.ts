// The FileSource of a stored profile version: its local charts and files come from the blobs it was
// published with, never from a path. A chart is written to the hub's own cache folder under a name made
// of its digest only, so helm gets a path the hub chose; the same digest is the same file for every version.
import { randomUUID } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IssueKind, MAX_PROFILE_BYTES, type FileSource } from '../profile/index.js';
import type { Store } from '../store/index.js';

export interface StoredFilesOptions {
  readonly store: Store;
  /** The version's path → digest table (StoredProfile.blobs). */
  readonly blobs: Readonly<Record<string, string>>;
  /** The hub's chart cache folder, created when first needed. */
  readonly chartCacheDir: () => Promise<string>;
}

const DIGEST = /^[0-9a-f]{64}$/;

export function storedFiles(options: StoredFilesOptions): FileSource {
  const notStored = {
    ok: false,
    kind: IssueKind.MissingFile,
    message: 'not stored with this version (publish it again with its files)',
  } as const;
  const content = async (path: string): Promise<{ digest: string; content: Buffer } | undefined> => {
    const digest = options.blobs[path];
    if (digest === undefined || !DIGEST.test(digest)) return undefined;
    const found = await options.store.blobs.get(digest);
    return found && { digest, content: found };
  };
  return {
    where: 'in the stored version',
    async readText(path) {
      const found = await content(path);
      if (!found) return notStored;
      if (found.content.length > MAX_PROFILE_BYTES)
        return { ok: false, kind: IssueKind.TooLarge, message: `file is over ${MAX_PROFILE_BYTES} bytes` };
      return { ok: true, value: found.content.toString('utf8') };
    },
    async chart(path) {
      const digest = options.blobs[path];
      if (digest === undefined || !DIGEST.test(digest)) return notStored;
      const dir = await options.chartCacheDir();
      const file = join(dir, `${digest}.tgz`);
      const cached = await stat(file).catch(() => undefined);
      if (cached?.isFile() !== true) {
        const found = await content(path);
        if (!found) return notStored;
        // Written under a temporary name and renamed, so a concurrent render never reads half a chart.
        const partial = join(dir, `.${digest}.${randomUUID()}.partial`);
        await writeFile(partial, found.content, { mode: 0o600 });
        await rename(partial, file);
      }
      return { ok: true, value: { location: file } };
    },
  };
}

/** Creates the chart cache folder once (mode 0700: only the hub reads it). */
export function chartCache(dir: string): () => Promise<string> {
  let ready: Promise<string> | undefined;
  return () => (ready ??= mkdir(dir, { recursive: true, mode: 0o700 }).then(() => dir));
}
