// The name a client gives a file it sends the hub (`file` of a profile or health-rules upload): the hub quotes
// it in every issue about the file, so it takes a bounded, printable one (review 14: a 1.9 MiB name, quoted
// twice in each of 101 issues, made a 366 MiB answer). The API's schema refuses others (server/schemas.ts); the
// CLI sends a path it was given as one that fits (uploadFileName).

/** The longest file name the hub takes: a path component's length. */
export const MAX_FILE_NAME = 255;

/**
 * What a file name may hold: no C0 or C1 control (tab and newline included), DEL, bidirectional embedding,
 * override, isolate or mark, or line or paragraph separator (unsafe-text.ts's set, and tab and newline), which
 * would make a printed issue read as something else.
 */
export const FILE_NAME_PATTERN =
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  /^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\u061C\u200E\u200F\u2028\u2029]*$/u;
// eslint-disable-next-line no-control-regex -- the same set, to replace
const REFUSED = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\u061C\u200E\u200F\u2028\u2029]/gu;

/**
 * `name` as the hub takes it: each refused character as `?`, and a longer name's end (the file's own name is
 * there) after `…`. A path the CLI was given may be longer than the hub takes.
 */
export function uploadFileName(name: string): string {
  const printable = name.replace(REFUSED, '?');
  return printable.length > MAX_FILE_NAME ? `…${printable.slice(-(MAX_FILE_NAME - 1))}` : printable;
}
