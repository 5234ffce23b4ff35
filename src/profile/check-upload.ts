// The check of a profile upload (its YAML, or a bundle with its local charts and files) that the hub runs on
// every publish and validation, and `strata profile validate` runs offline: one function, so a file the CLI
// accepts locally is one the hub's loader accepts too, with the same positioned issues. What only the hub can
// check (its outbound address policy for chart sources) stays in src/hub/upload-check.ts.
import { BundleError, BundleErrorCode, bundleFiles, readBundle, type BundleEntry } from './bundle.js';
import type { ProfileIssue } from './errors.js';
import { loadProfileText, type LoadedProfile } from './load.js';

export interface ProfileUploadInput {
  readonly yaml?: string;
  readonly bundle?: Uint8Array;
  /** The name issues are reported against. */
  readonly shown: string;
}

export type ProfileUploadCheck =
  | {
      readonly kind: 'ok';
      readonly source: string;
      readonly entries: ReadonlyMap<string, BundleEntry>;
      readonly loaded: readonly LoadedProfile[];
    }
  | { readonly kind: 'issues'; readonly issues: readonly ProfileIssue[] }
  /** The bundle itself is malformed, too large, or carries an entry the profile does not use. */
  | { readonly kind: 'bundle'; readonly tooLarge: boolean; readonly message: string };

export async function checkProfileUpload(input: ProfileUploadInput): Promise<ProfileUploadCheck> {
  let source: string;
  let entries: ReadonlyMap<string, BundleEntry> = new Map();
  if (input.bundle === undefined) source = input.yaml ?? '';
  else {
    try {
      const bundle = await readBundle(Buffer.from(input.bundle));
      source = bundle.profile;
      entries = bundle.entries;
    } catch (error) {
      if (!(error instanceof BundleError)) throw error;
      return {
        kind: 'bundle',
        tooLarge: error.code === BundleErrorCode.TooLarge,
        message: `${input.shown}: ${error.message}`,
      };
    }
  }
  const files = bundleFiles(entries);
  const loaded = await loadProfileText(source, { files, displayName: input.shown });
  if (!loaded.ok) return { kind: 'issues', issues: loaded.issues };
  const unused = files.unused();
  if (unused.length > 0)
    return {
      kind: 'bundle',
      tooLarge: false,
      message:
        `${input.shown}: bundle entry ${JSON.stringify(unused[0])} is not referenced by the profile` +
        (unused.length > 1 ? ` (nor ${unused.length - 1} more)` : ''),
    };
  return { kind: 'ok', source, entries, loaded: loaded.value };
}
