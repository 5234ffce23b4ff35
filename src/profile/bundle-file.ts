// The client side of bundles: a profile file on disk → what to send the hub. The profile is loaded from its
// folder (diskFiles: nothing outside it), then every local chart and file it references is packed with it.
import path from 'node:path';
import { writeBundle } from './bundle.js';
import { diskFiles } from './disk-files.js';
import { IssueKind, type ProfileResult } from './errors.js';
import { ReferenceKind, loadProfileText } from './load.js';
import { readLimited } from './disk-files.js';

/** The profile file's text when it references no local file, else a bundle of it with its local files. */
export type ProfileUploadBody =
  | { readonly yaml: string; readonly bundle?: undefined }
  | { readonly bundle: Buffer; readonly yaml?: undefined };

/**
 * For tests and scripts: the upload of a profile file (or of `text` as if it were that file), or an Error
 * listing its issues.
 */
export async function profileUpload(file: string, text?: string): Promise<ProfileUploadBody> {
  const displayName = path.basename(file);
  const result =
    text === undefined
      ? await bundleProfileFile(file, { displayName })
      : await bundleProfileText(text, { dir: path.dirname(path.resolve(file)), displayName });
  if (!result.ok)
    throw new Error(result.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.message}`).join('\n'));
  return result.value;
}

export async function bundleProfileFile(
  file: string,
  options: { displayName?: string } = {},
): Promise<ProfileResult<ProfileUploadBody>> {
  const shown = options.displayName ?? file;
  const text = await readLimited(file);
  if (typeof text !== 'string')
    return { ok: false, issues: [{ file: shown, line: 1, column: 1, path: '', ...text }] };
  return bundleProfileText(text, { dir: path.dirname(path.resolve(file)), displayName: shown });
}

/** Like bundleProfileFile for text read elsewhere (stdin), its local files relative to `dir`. */
export async function bundleProfileText(
  text: string,
  options: { dir: string; displayName: string },
): Promise<ProfileResult<ProfileUploadBody>> {
  const files = diskFiles(options.dir);
  const loaded = await loadProfileText(text, { files, displayName: options.displayName });
  if (!loaded.ok) return loaded;
  const references = new Map(loaded.value.flatMap((p) => p.references).map((r) => [r.path, r]));
  if (references.size === 0) return { ok: true, value: { yaml: text } };
  const entries: { path: string; content: Buffer }[] = [];
  for (const ref of references.values()) {
    try {
      const content =
        ref.kind === ReferenceKind.Chart ? await files.chartArchive(ref.path) : await files.bytes(ref.path);
      entries.push({ path: ref.path, content });
    } catch (error) {
      return {
        ok: false,
        issues: [
          {
            file: options.displayName,
            line: 1,
            column: 1,
            path: '',
            kind: IssueKind.MissingFile,
            message: `cannot pack ${JSON.stringify(ref.path)}: ${error instanceof Error ? error.message : String(error)}`,
          },
        ],
      };
    }
  }
  return { ok: true, value: { bundle: writeBundle(text, entries) } };
}
