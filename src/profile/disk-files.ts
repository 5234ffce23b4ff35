// A profile's local files on the disk of the machine that wrote it (the CLI's): the only file reading in
// src/profile. Every path is confined to the profile's folder: absolute paths and `..` are refused before
// this is called (referencePath), and a symlink whose target leaves the folder is refused here.
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeTarGz } from './bundle.js';
import { IssueKind, type ProfileIssue } from './errors.js';
import { HELMIGNORE, helmIgnoreRules, type IgnoreRules } from './helmignore.js';
import type { FileSource, SourceResult } from './load.js';
import { MAX_PROFILE_BYTES } from './parse.js';

/** The file's text, or why it cannot be read; the size is checked before reading. */
export async function readLimited(
  file: string,
): Promise<string | { kind: ProfileIssue['kind']; message: string }> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return { kind: IssueKind.MissingFile, message: 'expected a file; got a directory' };
    if (info.size > MAX_PROFILE_BYTES) {
      return {
        kind: IssueKind.TooLarge,
        message: `file is ${info.size} bytes; the limit is ${MAX_PROFILE_BYTES} (1 MiB)`,
      };
    }
    return await readFile(file, 'utf8');
  } catch (error) {
    return { kind: IssueKind.MissingFile, message: `cannot read file: ${errorCode(error)}` };
  }
}

function errorCode(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    return error.code === 'ENOENT' ? 'no such file' : error.code;
  }
  return String(error);
}

export interface DiskFiles extends FileSource {
  /** The bytes of a manifest file, as a bundle carries them. */
  bytes(path: string): Promise<Buffer>;
  /** A local chart as an archive: a folder packaged (one top folder, like `helm package`), a .tgz as is. */
  chartArchive(path: string): Promise<Buffer>;
}

type Confined = { ok: true; real: string } | { ok: false; message: string };

/** The files of the folder `dir`, and nothing outside it. */
export function diskFiles(dir: string): DiskFiles {
  let root: Promise<string> | undefined;
  const rootReal = () => (root ??= realpath(dir).catch(() => path.resolve(dir)));
  const inside = async (real: string) => {
    const top = await rootReal();
    return real === top || real.startsWith(top + path.sep);
  };
  /** The real path of `relative`, when it stays inside the folder once symlinks are followed. */
  const confine = async (relative: string): Promise<Confined> => {
    let real: string;
    try {
      real = await realpath(path.join(dir, relative));
    } catch {
      return { ok: false, message: 'not found' };
    }
    return (await inside(real))
      ? { ok: true, real }
      : { ok: false, message: "leaves the profile's folder through a symlink" };
  };

  const source: DiskFiles = {
    async readText(relative): Promise<SourceResult<string>> {
      const real = await confine(relative);
      if (!real.ok)
        return {
          ok: false,
          kind: IssueKind.MissingFile,
          message: real.message === 'not found' ? 'file not found' : `file ${real.message}`,
        };
      const text = await readLimited(real.real);
      return typeof text === 'string' ? { ok: true, value: text } : { ok: false, ...text };
    },
    async chart(relative) {
      const real = await confine(relative);
      if (!real.ok)
        return {
          ok: false,
          kind: IssueKind.MissingFile,
          message: real.message === 'not found' ? 'chart not found' : `chart ${real.message}`,
        };
      const info = await stat(real.real);
      if (info.isDirectory()) {
        const chart = await stat(path.join(real.real, 'Chart.yaml')).catch(() => undefined);
        return chart?.isFile() === true
          ? { ok: true, value: { location: real.real } }
          : { ok: false, kind: IssueKind.MissingFile, message: 'chart directory has no Chart.yaml' };
      }
      return real.real.endsWith('.tgz')
        ? { ok: true, value: { location: real.real } }
        : { ok: false, kind: IssueKind.MissingFile, message: 'expected a chart directory or a .tgz file' };
    },
    async bytes(relative) {
      const real = await confine(relative);
      if (!real.ok) throw new Error(`${relative}: ${real.message}`);
      return readFile(real.real);
    },
    async chartArchive(relative) {
      const real = await confine(relative);
      if (!real.ok) throw new Error(`${relative}: ${real.message}`);
      if (!(await stat(real.real)).isDirectory()) return readFile(real.real);
      const files: { path: string; content: Buffer; mode: number }[] = [];
      const top = path.basename(real.real);
      // As `helm package` does: what the chart's .helmignore names stays out of its archive.
      let ignore: IgnoreRules;
      try {
        const text = await readFile(path.join(real.real, HELMIGNORE), 'utf8').catch(() => undefined);
        ignore = helmIgnoreRules(text);
      } catch (error) {
        throw new Error(`${relative}: ${(error as Error).message}`, { cause: error });
      }
      const walk = async (folder: string, prefix: string, depth: number): Promise<void> => {
        if (depth > 32)
          throw new Error(`${relative}: folders nested deeper than 32 levels (a symlink loop?)`);
        const names = (await readdir(folder)).sort();
        for (const name of names) {
          const full = path.join(folder, name);
          const shown = `${prefix}/${name}`;
          let target = full;
          if ((await lstat(full)).isSymbolicLink()) {
            target = await realpath(full);
            if (!(await inside(target)))
              throw new Error(
                `${path.join(relative, shown.slice(top.length + 1))}: symlink leaves the profile's folder`,
              );
          }
          const info = await stat(target);
          if (ignore(shown.slice(top.length + 1), info.isDirectory())) continue;
          if (info.isDirectory()) await walk(target, shown, depth + 1);
          else if (info.isFile())
            files.push({
              path: shown,
              content: await readFile(target),
              mode: info.mode & 0o111 ? 0o755 : 0o644,
            });
        }
      };
      await walk(real.real, top, 0);
      return writeTarGz(files);
    },
  };
  return source;
}
