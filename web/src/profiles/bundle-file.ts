// A profile bundle chosen in the import panel (a .tgz written by `strata profile apply` or `profile get
// --bundle`): the hub reads it; the page only looks inside for profile.yaml, so the problems the hub reports
// can be shown at their lines in the text they point to.

/** The bundle's entry holding the profile file (src/profile/bundle.ts, BUNDLE_PROFILE). */
const PROFILE_ENTRY = 'profile.yaml';
const BLOCK = 512;

/** A file the user chose that is a bundle rather than a profile file: by its name, as the CLI writes it. */
export function isBundleName(name: string): boolean {
  return /\.(tgz|tar\.gz)$/i.test(name);
}

/**
 * profile.yaml from a gzip-compressed tar, or undefined when the file is not one or has no such entry (the
 * hub then says what is wrong with it; nothing here decides whether a bundle is acceptable).
 */
export async function profileOfBundle(bundle: Blob): Promise<string | undefined> {
  let tar: Uint8Array;
  try {
    const stream = bundle.stream().pipeThrough(new DecompressionStream('gzip'));
    tar = new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    return undefined;
  }
  const text = new TextDecoder();
  for (let at = 0; at + BLOCK <= tar.length;) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) return undefined;
    const name = text.decode(header.subarray(0, 100)).replace(/\0.*$/s, '');
    const size = parseInt(text.decode(header.subarray(124, 136)).replace(/\0.*$/s, '').trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0) return undefined;
    const type = String.fromCharCode(header[156] ?? 0);
    const start = at + BLOCK;
    if ((type === '0' || type === '\0') && name.replace(/^\.\//, '') === PROFILE_ENTRY)
      return text.decode(tar.subarray(start, start + size));
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return undefined;
}
