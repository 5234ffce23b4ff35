// Profile bundles: a profile file together with every local chart and manifest file it references, in one
// gzip-compressed tar. The CLI writes them (from the profile's folder), the hub reads them (from the request
// body only: it never opens a path a client names). One format, declared here for both sides:
//
//   profile.yaml   the profile file as written
//   bundle.json    {"sha256": {"<path>": "<hex digest of the entry>"}}: every other entry, addressed by digest
//   <path>         each referenced path as the profile writes it (normalized): a manifest file as is, a chart
//                  directory packaged as a chart archive (.tgz) under the directory's path, a .tgz as is
//
// The reader is strict: a bundle that a well-behaved client would never send is refused whole, naming the
// entry, before anything is stored.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import { Header, Parser, Pax, type ReadEntry } from 'tar';
import { z } from 'zod';
import { valuesSchemaProblem } from './chart-schema.js';
import { IssueKind } from './errors.js';
import type { FileSource } from './load.js';
import { MAX_PROFILE_BYTES } from './parse.js';

export const BUNDLE_PROFILE = 'profile.yaml';
export const BUNDLE_INDEX = 'bundle.json';
/** Whole bundle, compressed and uncompressed: the hub stores every byte of it in its database. */
export const MAX_BUNDLE_BYTES = 20 * 1024 * 1024;
const MAX_ENTRIES = 1000;
const gzipAsync = promisify(gzip);

export const BundleErrorCode = { Invalid: 'BUNDLE_INVALID', TooLarge: 'BUNDLE_TOO_LARGE' } as const;
export type BundleErrorCode = (typeof BundleErrorCode)[keyof typeof BundleErrorCode];

/** A bundle refused as a whole; `entry` names the tar entry at fault when there is one. */
export class BundleError extends Error {
  constructor(
    readonly code: BundleErrorCode,
    message: string,
    readonly entry?: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'BundleError';
  }
}

export interface BundleEntry {
  readonly path: string;
  readonly content: Buffer;
  /** sha256 of the content, hex. */
  readonly sha256: string;
}

export interface Bundle {
  readonly profile: string;
  /** Every entry but profile.yaml and bundle.json, by path. */
  readonly entries: ReadonlyMap<string, BundleEntry>;
}

export const sha256 = (content: Uint8Array): string => createHash('sha256').update(content).digest('hex');

export type ReferencePath = { ok: true; path: string } | { ok: false; message: string };

/**
 * A local reference as written in a profile (`charts/web`, `./manifests/cm.yaml`) → the normalized path it
 * names inside the profile's folder, or why it cannot name one. Both sides use it: the CLI before reading a
 * file, the hub before looking an entry up.
 */
export function referencePath(written: string): ReferencePath {
  if (written.trim() === '') return { ok: false, message: 'empty path' };
  if (written.includes('\0') || written.includes('\\'))
    return { ok: false, message: `${JSON.stringify(written)}: use / as the separator, no backslash or NUL` };
  if (path.posix.isAbsolute(written) || /^[a-zA-Z]:/.test(written))
    return {
      ok: false,
      message: `${JSON.stringify(written)} is an absolute path; local files must be inside the profile's folder`,
    };
  const normalized = path.posix.normalize(written).replace(/\/+$/, '');
  if (normalized === '..' || normalized.startsWith('../'))
    return { ok: false, message: `${JSON.stringify(written)} leaves the profile's folder` };
  if (normalized === '.' || normalized === '')
    return { ok: false, message: `${JSON.stringify(written)} names the profile's folder itself` };
  if (normalized === BUNDLE_PROFILE || normalized === BUNDLE_INDEX)
    return { ok: false, message: `${JSON.stringify(written)} is reserved for the bundle; rename the file` };
  return { ok: true, path: normalized };
}

const IndexSchema = z.strictObject({ sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)) });

/** The bundle for a profile and the contents of the paths it references (normalized, see referencePath). */
export function writeBundle(profile: string, entries: readonly { path: string; content: Buffer }[]): Buffer {
  return gzipSync(bundleTar(profile, entries));
}

/**
 * The same bundle, compressed on libuv's thread pool: a bundle can be 20 MiB, about a second of gzip, which
 * the hub's event loop must not spend (byte-identical to writeBundle's).
 */
export function writeBundleAsync(
  profile: string,
  entries: readonly { path: string; content: Buffer }[],
): Promise<Buffer> {
  return gzipAsync(bundleTar(profile, entries));
}

function bundleTar(profile: string, entries: readonly { path: string; content: Buffer }[]): Buffer {
  const sorted = [...entries].sort((a, b) => a.path.localeCompare(b.path));
  const index = { sha256: Object.fromEntries(sorted.map((e) => [e.path, sha256(e.content)])) };
  return writeTar([
    { path: BUNDLE_PROFILE, content: Buffer.from(profile, 'utf8') },
    { path: BUNDLE_INDEX, content: Buffer.from(`${JSON.stringify(index, null, 2)}\n`, 'utf8') },
    ...sorted,
  ]);
}

/**
 * A gzip-compressed tar of regular files, byte-identical for identical input (no times, owners or modes
 * from the machine), so the same chart folder always packages to the same digest.
 */
export function writeTarGz(files: readonly { path: string; content: Buffer; mode?: number }[]): Buffer {
  return gzipSync(writeTar(files));
}

function writeTar(files: readonly { path: string; content: Buffer; mode?: number }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const file of files) {
    const data = {
      path: file.path,
      mode: file.mode ?? 0o644,
      size: file.content.length,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
      type: 'File' as const,
    };
    const header = new Header(data);
    header.encode();
    if (header.needPax) blocks.push(new Pax({ path: file.path }).encode());
    if (header.block) blocks.push(header.block);
    blocks.push(file.content, Buffer.alloc((512 - (file.content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export interface TarFile {
  readonly path: string;
  readonly content: Buffer;
}

/** What is left to unpack, shared by an archive and the archives inside it; `of` names the whole in errors. */
interface UnpackBudget {
  left: number;
  readonly of?: string;
}

/**
 * Every regular file of a gzip-compressed tar, or a BundleError naming the first entry that is anything
 * else: links, devices and FIFOs, absolute or `..` paths, duplicates. Directory entries are skipped.
 */
async function readTarGz(
  data: Buffer,
  what: string,
  budget: UnpackBudget = { left: MAX_BUNDLE_BYTES },
): Promise<TarFile[]> {
  let tar: Buffer;
  try {
    // gunzip counts the bytes as it writes them and stops at the budget: nothing past it is ever held.
    tar = gunzipSync(data, { maxOutputLength: Math.max(budget.left, 1) });
    if (tar.length > budget.left) throw new RangeError('over the budget');
    budget.left -= tar.length;
  } catch (error) {
    if (error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new BundleError(
        BundleErrorCode.TooLarge,
        `${budget.of === undefined ? what : `${what}: ${budget.of}`} unpacks to more than ${MAX_BUNDLE_BYTES} bytes (20 MiB), the limit`,
      );
    throw new BundleError(BundleErrorCode.Invalid, `${what} is not gzip-compressed data`, undefined, {
      cause: error,
    });
  }
  const ambiguous = ambiguousHeader(tar);
  if (ambiguous !== undefined)
    throw new BundleError(
      BundleErrorCode.Invalid,
      `${what}: entry ${JSON.stringify(ambiguous.entry)}: ${ambiguous.problem}; tar readers disagree on what it holds`,
      ambiguous.entry,
    );
  const files: TarFile[] = [];
  const seen = new Set<string>();
  let problem: BundleError | undefined;
  const fail = (message: string, entry?: string) => {
    problem ??= new BundleError(BundleErrorCode.Invalid, message, entry);
  };
  const parser = new Parser({ strict: true });
  const done = new Promise<void>((resolve) => {
    parser.on('end', resolve);
    parser.on('error', (error: Error) => {
      fail(`${what} is not a valid tar archive: ${error.message}`);
      resolve();
    });
    parser.on('warn', (_code: string, message: string | Error) => {
      fail(`${what} is not a valid tar archive: ${typeof message === 'string' ? message : message.message}`);
    });
  });
  parser.on('entry', (entry: ReadEntry) => {
    const name = entry.path;
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    if (problem) {
      entry.resume();
      return;
    }
    if (files.length >= MAX_ENTRIES) fail(`${what} has more than ${MAX_ENTRIES} entries`);
    if (entry.type === 'Directory') {
      const checked = referencePath(name);
      if (!checked.ok && !['.', './'].includes(name))
        fail(`entry ${JSON.stringify(name)}: ${checked.message}`, name);
      entry.resume();
      return;
    }
    if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
      fail(
        `entry ${JSON.stringify(name)} is a ${entry.type}; only regular files are allowed (no links or devices)`,
        name,
      );
      entry.resume();
      return;
    }
    const normalized = safeEntryPath(name);
    if (!normalized.ok) {
      fail(`entry ${JSON.stringify(name)}: ${normalized.message}`, name);
      entry.resume();
      return;
    }
    if (seen.has(normalized.path)) fail(`entry ${JSON.stringify(name)} appears twice`, name);
    seen.add(normalized.path);
    entry.on('end', () => files.push({ path: normalized.path, content: Buffer.concat(chunks) }));
  });
  parser.end(tar);
  await done;
  if (problem) throw problem;
  return files;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A NUL-terminated header field as text, or undefined when it is not UTF-8. */
function headerText(block: Buffer, offset: number, length: number): string | undefined {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  try {
    return utf8.decode(end === -1 ? field : field.subarray(0, end));
  } catch {
    return undefined;
  }
}

/** A header's size field: octal, or base-256 when its first byte has the high bit (as both readers take it). */
function headerSize(block: Buffer): number {
  const field = block.subarray(124, 136);
  if ((field[0] ?? 0) & 0x80) {
    let size = (field[0] ?? 0) & 0x7f;
    for (const byte of field.subarray(1)) size = size * 256 + byte;
    return size;
  }
  return parseInt(headerText(block, 124, 12)?.trim() || '0', 8) || 0;
}

/** The records of a pax extended header (`<length> <key>=<value>\n` each), or undefined when malformed. */
function paxRecords(data: Buffer): Map<string, string> | undefined {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length && data[at] !== 0) {
    const space = data.indexOf(0x20, at);
    const length = space === -1 ? NaN : Number(data.toString('latin1', at, space));
    if (!Number.isSafeInteger(length) || length <= space - at || at + length > data.length) return undefined;
    const record = data.toString('utf8', space + 1, at + length);
    const equals = record.indexOf('=');
    if (equals <= 0 || !record.endsWith('\n')) return undefined;
    records.set(record.slice(0, equals), record.slice(equals + 1, -1));
    at += length;
  }
  return records;
}

/**
 * The first header of an uncompressed tar whose reading differs between tar readers (review 9, item 2: helm
 * reads with Go's archive/tar, Strata with node-tar), with why; undefined when there is none. Refused: star's
 * trailer (`tar\0` at 508: Go reads a 131-byte prefix, node-tar 155 or 130), a ustar magic with a version
 * other than `00` (Go reads its prefix, node-tar does not), a prefix under a pax or GNU long name (Go drops
 * it, node-tar prepends it), a global pax header with more than a comment, a pax sparse file, a regular file
 * with a trailing `/` and a size (node-tar reads it as an empty folder), names that are not UTF-8, and entries
 * after a single end block (Go stops there with an error).
 */
function ambiguousHeader(tar: Buffer): { entry: string; problem: string } | undefined {
  let pending: { path?: string; size?: number; longName?: boolean } = {};
  for (let offset = 0; offset + 512 <= tar.length;) {
    const block = tar.subarray(offset, offset + 512);
    if (block.every((byte) => byte === 0)) {
      const next = tar.subarray(offset + 512, offset + 1024);
      if (next.length === 512 && !next.every((byte) => byte === 0))
        return { entry: `at byte ${offset + 512}`, problem: 'it follows a single end-of-archive block' };
      return undefined;
    }
    const name = headerText(block, 0, 100);
    const isUstar = block.toString('latin1', 257, 263) === 'ustar\0';
    const prefix = isUstar ? headerText(block, 345, 155) : '';
    const entry =
      name === undefined || prefix === undefined
        ? `at byte ${offset}`
        : (pending.path ?? (prefix ? `${prefix}/${name}` : name));
    if (name === undefined || prefix === undefined) return { entry, problem: 'its name is not UTF-8' };
    if (isUstar && block.toString('latin1', 508, 512) === 'tar\0')
      return {
        entry,
        problem:
          'its header has the star trailer (tar\\0 at offset 508), so its prefix is read as 131 bytes or 155',
      };
    if (isUstar && block.toString('latin1', 263, 265) !== '00')
      return { entry, problem: 'its ustar header has a version other than 00' };
    const type = String.fromCharCode(block[156] ?? 0);
    const headerOnly = ['1', '2', '3', '4', '5', '6'].includes(type);
    let size = headerSize(block);
    if (['x', 'g', 'L', 'K'].includes(type)) {
      const data = tar.subarray(offset + 512, offset + 512 + size);
      if (type === 'x' || type === 'g') {
        const records = paxRecords(data);
        if (records === undefined) return { entry, problem: 'its pax header is malformed' };
        if (type === 'g' && [...records.keys()].some((key) => key !== 'comment'))
          return { entry, problem: 'it is a global pax header with more than a comment' };
        if ([...records.keys()].some((key) => key.startsWith('GNU.sparse')))
          return { entry, problem: 'its pax header makes it a sparse file' };
        const paxSize = records.get('size');
        if (type === 'x')
          pending = {
            ...pending,
            ...(records.has('path') ? { path: records.get('path') } : {}),
            ...(paxSize === undefined ? {} : { size: Number(paxSize) }),
          };
      } else if (type === 'L') pending = { ...pending, longName: true };
    } else {
      if (prefix && (pending.path !== undefined || pending.longName))
        return { entry, problem: 'it has a ustar prefix and a pax or GNU long name' };
      if (pending.size !== undefined) {
        if (!Number.isSafeInteger(pending.size) || pending.size < 0)
          return { entry, problem: 'its pax size is not a number' };
        size = pending.size;
      }
      if (['0', '\0', '7'].includes(type) && entry.endsWith('/') && size > 0)
        return { entry, problem: 'it is a regular file whose name ends with / and that has content' };
      if (headerOnly) size = 0;
      pending = {};
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/** An entry name inside an archive: like a reference, but profile.yaml and bundle.json are fine. */
function safeEntryPath(name: string): ReferencePath {
  const normalized = path.posix.normalize(name);
  if (normalized === BUNDLE_PROFILE || normalized === BUNDLE_INDEX) return { ok: true, path: normalized };
  return referencePath(name);
}

/**
 * Reads a bundle sent by a client. Checks the size, every entry (see readTarGz), that the index lists every
 * entry with its digest and nothing else. Whether each entry is referenced by the profile, and is what the
 * profile says it is (a chart, a manifest file), is the loader's to check (see bundleFiles in load.ts).
 */
export async function readBundle(data: Buffer): Promise<Bundle> {
  if (data.length > MAX_BUNDLE_BYTES)
    throw new BundleError(
      BundleErrorCode.TooLarge,
      `bundle is ${data.length} bytes; the limit is ${MAX_BUNDLE_BYTES} (20 MiB)`,
    );
  const files = await readTarGz(data, 'bundle');
  const byPath = new Map(files.map((f) => [f.path, f]));
  const profile = byPath.get(BUNDLE_PROFILE);
  if (!profile) throw new BundleError(BundleErrorCode.Invalid, `bundle has no ${BUNDLE_PROFILE} at its root`);
  const indexFile = byPath.get(BUNDLE_INDEX);
  if (!indexFile) throw new BundleError(BundleErrorCode.Invalid, `bundle has no ${BUNDLE_INDEX} at its root`);
  let index: z.output<typeof IndexSchema>;
  try {
    const parsed = IndexSchema.safeParse(JSON.parse(indexFile.content.toString('utf8')));
    if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join('; '));
    index = parsed.data;
  } catch (error) {
    throw new BundleError(
      BundleErrorCode.Invalid,
      `${BUNDLE_INDEX} must be {"sha256": {"<path>": "<64 hex digits>"}}: ${error instanceof Error ? error.message : String(error)}`,
      BUNDLE_INDEX,
    );
  }
  const entries = new Map<string, BundleEntry>();
  for (const file of files) {
    if (file.path === BUNDLE_PROFILE || file.path === BUNDLE_INDEX) continue;
    const expected = index.sha256[file.path];
    if (expected === undefined)
      throw new BundleError(
        BundleErrorCode.Invalid,
        `entry ${JSON.stringify(file.path)} is not listed in ${BUNDLE_INDEX}`,
        file.path,
      );
    const actual = sha256(file.content);
    if (actual !== expected)
      throw new BundleError(
        BundleErrorCode.Invalid,
        `entry ${JSON.stringify(file.path)}: sha256 is ${actual}, ${BUNDLE_INDEX} says ${expected}`,
        file.path,
      );
    entries.set(file.path, { path: file.path, content: file.content, sha256: actual });
  }
  for (const listed of Object.keys(index.sha256))
    if (!entries.has(listed))
      throw new BundleError(
        BundleErrorCode.Invalid,
        `${BUNDLE_INDEX} lists ${JSON.stringify(listed)}, which is not in the bundle`,
        listed,
      );
  return { profile: profile.content.toString('utf8'), entries };
}

/**
 * A chart archive read whole: its top folder and its regular files (paths include the top folder). `unpacked`
 * is the same files with each subchart archive (`charts/<name>.tgz`, at any depth) replaced by the files the
 * check read from it, in a folder `charts/<name>/`: written out so, the chart hands helm no tar to parse, only
 * what the check read (review 9, item 2: Go's tar reader and node-tar can read one archive differently).
 */
export type ChartArchive =
  | {
      readonly ok: true;
      readonly top: string;
      readonly files: readonly TarFile[];
      readonly unpacked: readonly TarFile[];
    }
  | { readonly ok: false; readonly problem: string };

/** Subcharts inside subcharts deeper than this are refused (helm has no limit; real charts use one or two). */
const MAX_SUBCHART_DEPTH = 5;

/**
 * A chart archive's files, or why it is not one Strata renders: a gzip-compressed tar of regular files under
 * one top folder that holds Chart.yaml (what `helm package` writes and `helm template` reads), with no link,
 * device or `..` path (see readTarGz), that unpacks to at most 20 MiB with the subchart archives inside it,
 * and whose values schemas, the subcharts' too, load nothing from outside themselves (see chart-schema.ts).
 * The hub checks every chart with it: local charts in a bundle and remote charts at publish, and each
 * archive again before a render writes it out (archives stored before a check existed are covered too).
 */
export async function readChartArchive(archive: Buffer): Promise<ChartArchive> {
  const budget: UnpackBudget = { left: MAX_BUNDLE_BYTES, of: 'the chart with its subcharts' };
  try {
    const files = await readTarGz(archive, 'chart archive', budget);
    const tops = new Set(files.map((f) => f.path.split('/')[0]));
    if (tops.size !== 1 || files.some((f) => !f.path.includes('/')))
      return { ok: false, problem: 'not a chart archive: its files must sit under one top folder' };
    const [top = ''] = [...tops];
    if (!files.some((f) => f.path === `${top}/Chart.yaml`))
      return {
        ok: false,
        problem: `not a chart archive: no Chart.yaml in its top folder ${JSON.stringify(`${top}/`)}`,
      };
    const subcharts = new Map<string, readonly TarFile[]>();
    const problem = await schemasProblem(files, '', budget, 0, subcharts);
    if (problem !== undefined) return { ok: false, problem };
    return { ok: true, top, files, unpacked: unpackSubcharts(files, '', subcharts) };
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}

/** Why a chart archive is not a Helm chart Strata renders (see readChartArchive), or undefined when it is. */
export async function chartArchiveProblem(archive: Buffer): Promise<string | undefined> {
  const read = await readChartArchive(archive);
  return read.ok ? undefined : read.problem;
}

/**
 * The first values.schema.json, in the chart or in a subchart archive under a `charts/` folder (helm loads
 * any file there as one, at any depth), that would load something from outside itself. `within` prefixes
 * the paths of a subchart's files in messages. Throws a BundleError when a subchart archive is malformed.
 */
async function schemasProblem(
  files: readonly TarFile[],
  within: string,
  budget: UnpackBudget,
  depth: number,
  subcharts: Map<string, readonly TarFile[]>,
): Promise<string | undefined> {
  for (const file of files) {
    const at = `${within}${file.path}`;
    if (path.posix.basename(file.path) === 'values.schema.json') {
      const problem = valuesSchemaProblem(at, file.content);
      if (problem !== undefined) return problem;
    }
    // A file under charts/ that is not gzip data is no subchart helm can load: its render fails, loading nothing.
    if (!/(^|\/)charts\/[^/]+$/.test(file.path) || file.content[0] !== 0x1f || file.content[1] !== 0x8b)
      continue;
    if (depth >= MAX_SUBCHART_DEPTH)
      return `subchart archive ${JSON.stringify(at)} is nested more than ${MAX_SUBCHART_DEPTH} deep`;
    const inner = await readTarGz(file.content, `subchart archive ${JSON.stringify(at)}`, budget);
    subcharts.set(at, inner);
    const problem = await schemasProblem(inner, `${at}: `, budget, depth + 1, subcharts);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * `files` with each subchart archive helm would load as one (a gzip file `charts/<name>.tgz`; helm reads any
 * other name there as no archive) replaced by the files read from it (`subcharts`, by the path schemasProblem
 * names it with) under `charts/<name>/`, less their top folder, as helm loads an archive. Throws when the
 * archive's files are not under one top folder, or when the folder would merge with files already there.
 */
function unpackSubcharts(
  files: readonly TarFile[],
  within: string,
  subcharts: ReadonlyMap<string, readonly TarFile[]>,
): TarFile[] {
  const out: TarFile[] = [];
  for (const file of files) {
    const at = `${within}${file.path}`;
    const inner = subcharts.get(at);
    if (inner === undefined || !/(^|\/)charts\/[^/]+\.tgz$/.test(file.path)) {
      out.push(file);
      continue;
    }
    const folder = file.path.slice(0, -'.tgz'.length);
    const clash = files.find((f) => f.path === folder || f.path.startsWith(`${folder}/`));
    if (clash !== undefined)
      throw new BundleError(
        BundleErrorCode.Invalid,
        `subchart archive ${JSON.stringify(at)} cannot be unpacked to ${JSON.stringify(`${folder}/`)}: ${JSON.stringify(clash.path)} is there already`,
        at,
      );
    const tops = new Set(inner.map((f) => f.path.split('/')[0]));
    if (tops.size !== 1 || inner.some((f) => !f.path.includes('/')))
      throw new BundleError(
        BundleErrorCode.Invalid,
        `subchart archive ${JSON.stringify(at)}: its files must sit under one top folder, as helm package writes them`,
        at,
      );
    for (const f of unpackSubcharts(inner, `${at}: `, subcharts))
      out.push({ path: `${folder}/${f.path.slice(f.path.indexOf('/') + 1)}`, content: f.content });
  }
  return out;
}

export interface BundleFiles extends FileSource {
  /** Entries no reference has read so far: after loading, entries the profile does not reference. */
  unused(): string[];
}

/**
 * A FileSource over an upload's entries only (an empty map for a plain YAML upload): the hub loads a
 * client's profile through it, so a reference can only ever name content the client sent.
 */
export function bundleFiles(entries: ReadonlyMap<string, BundleEntry>): BundleFiles {
  const used = new Set<string>();
  const hint =
    entries.size === 0
      ? 'not in the upload (local charts and files travel in a bundle: `strata profile apply -f FILE` sends one)'
      : 'not in the bundle';
  const entry = (at: string): BundleEntry | undefined => {
    const found = entries.get(at);
    if (found) used.add(at);
    return found;
  };
  return {
    where: entries.size === 0 ? 'the hub reads no local files' : 'in the bundle',
    readText(at) {
      const found = entry(at);
      if (!found) return Promise.resolve({ ok: false, kind: IssueKind.MissingFile, message: hint });
      if (found.content.length > MAX_PROFILE_BYTES)
        return Promise.resolve({
          ok: false,
          kind: IssueKind.TooLarge,
          message: `file is ${found.content.length} bytes; the limit is ${MAX_PROFILE_BYTES} (1 MiB)`,
        });
      return Promise.resolve({ ok: true, value: found.content.toString('utf8') });
    },
    async chart(at) {
      const found = entry(at);
      if (!found) return { ok: false, kind: IssueKind.MissingFile, message: hint };
      const problem = await chartArchiveProblem(found.content);
      return problem === undefined
        ? { ok: true, value: {} }
        : {
            ok: false,
            kind: IssueKind.InvalidValue,
            message: `bundle entry ${JSON.stringify(at)}: ${problem}`,
          };
    },
    unused: () => [...entries.keys()].filter((at) => !used.has(at)),
  };
}

/**
 * The files of a profile's folder as a bundle recreates it: profile.yaml, each manifest file, each `.tgz`
 * chart as is, and each chart folder unpacked from its archive (without the archive's top folder).
 * `chartFolders` are the chart references that are folders (every chart path not ending in `.tgz`).
 */
export async function bundleFolder(
  bundle: Bundle,
  chartFolders: ReadonlySet<string>,
): Promise<{ path: string; content: Buffer }[]> {
  const out: { path: string; content: Buffer }[] = [
    { path: BUNDLE_PROFILE, content: Buffer.from(bundle.profile, 'utf8') },
  ];
  for (const entry of bundle.entries.values()) {
    if (!chartFolders.has(entry.path)) {
      out.push({ path: entry.path, content: entry.content });
      continue;
    }
    for (const file of await readTarGz(entry.content, `chart archive ${JSON.stringify(entry.path)}`)) {
      const inside = file.path.split('/').slice(1).join('/');
      if (inside !== '') out.push({ path: `${entry.path}/${inside}`, content: file.content });
    }
  }
  return out;
}
