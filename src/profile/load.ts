// Reading profiles from disk: the only I/O in src/profile. Checks what parsing cannot: the size limit before
// reading, local chart paths and manifest files relative to the profile file, and the contents of those files.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { IssueKind, type ProfileIssue, type ProfileResult, type SourcePosition } from './errors.js';
import { checkMacrosIn } from './macro-check.js';
import { ChartSourceKind, formatPath, type FieldPath, type KubeObject } from './model.js';
import { firstLine, kubeObjectProblem } from './normalize.js';
import { MAX_PROFILE_BYTES, parseProfiles, type ParsedProfile } from './parse.js';
import { PackType } from './schema.js';
import { isEmptyDocument } from './source.js';

export interface LoadedProfile extends ParsedProfile {
  /** Absolute path of the profile file. */
  readonly path: string;
  /** Objects from each manifest pack's `files`, keyed by the path as written; pass to resolveProfile. */
  readonly fileManifests: ReadonlyMap<string, readonly KubeObject[]>;
}

export interface LoadOptions {
  /** Name shown in issues (default: `file` as given). */
  readonly displayName?: string;
}

/** All profiles in one file, fully checked, or every issue found. */
export async function loadProfileFile(
  file: string,
  options: LoadOptions = {},
): Promise<ProfileResult<LoadedProfile[]>> {
  const shown = options.displayName ?? file;
  const start: SourcePosition = { file: shown, line: 1, column: 1 };
  const text = await readLimited(file);
  if (typeof text !== 'string') {
    return { ok: false, issues: [{ ...start, ...text, path: '' }] };
  }
  return loadProfileText(text, { file: path.resolve(file), displayName: shown });
}

export interface LoadTextOptions {
  /**
   * Where the profile file is (or would be): local chart paths and manifest `files` are resolved against its
   * folder. For a profile sent over the API, the folder it came from on the hub's machine.
   */
  readonly file: string;
  /** Name shown in issues (default: `file`). */
  readonly displayName?: string;
}

/** Like loadProfileFile, for text already in memory (an upload, a stored version). */
export async function loadProfileText(
  text: string,
  options: LoadTextOptions,
): Promise<ProfileResult<LoadedProfile[]>> {
  const file = options.file;
  const shown = options.displayName ?? file;
  if (Buffer.byteLength(text) > MAX_PROFILE_BYTES) {
    return {
      ok: false,
      issues: [
        {
          file: shown,
          line: 1,
          column: 1,
          path: '',
          kind: IssueKind.TooLarge,
          message: `profile is ${Buffer.byteLength(text)} bytes; the limit is ${MAX_PROFILE_BYTES} (1 MiB)`,
        },
      ],
    };
  }
  const parsed = parseProfiles(text, { file: shown });
  if (!parsed.ok) return parsed;

  const dir = path.dirname(path.resolve(file));
  const issues: ProfileIssue[] = [];
  const loaded: LoadedProfile[] = [];
  for (const profile of parsed.value) {
    const fileManifests = new Map<string, readonly KubeObject[]>();
    const add = (kind: ProfileIssue['kind'], fieldPath: FieldPath, message: string): void => {
      issues.push({ ...profile.source.position(fieldPath), kind, path: formatPath(fieldPath), message });
    };
    const declared = profile.profile.spec.variables.map((v) => v.name);
    for (const [index, pack] of profile.profile.spec.packs.entries()) {
      const packPath = ['spec', 'packs', index];
      switch (pack.type) {
        case PackType.Helm:
          if (pack.chart.kind === ChartSourceKind.Local) {
            const problem = await checkLocalChart(path.resolve(dir, pack.chart.path));
            if (problem !== undefined)
              add(
                IssueKind.MissingFile,
                [...packPath, 'chart', 'path'],
                `${problem}: ${JSON.stringify(pack.chart.path)} (relative to ${shownDir(shown)})`,
              );
          }
          break;
        case PackType.Manifest:
          for (const [fileIndex, relative] of pack.files.entries()) {
            const filePath = [...packPath, 'files', fileIndex];
            const result = await loadManifestFile(
              path.resolve(dir, relative),
              path.join(path.dirname(shown), relative),
            );
            if (!result.ok) {
              if (result.missing)
                add(
                  IssueKind.MissingFile,
                  filePath,
                  `file not found: ${JSON.stringify(relative)} (relative to ${shownDir(shown)})`,
                );
              issues.push(
                ...result.issues.map((issue) => ({ ...issue, path: formatPath(filePath) + issue.path })),
              );
              continue;
            }
            for (const problem of checkMacrosIn(result.objects, {
              pack: pack.name,
              path: filePath,
              declared,
            }))
              add(problem.kind, problem.path, problem.message);
            fileManifests.set(relative, result.objects);
          }
          break;
      }
    }
    loaded.push({ ...profile, path: path.resolve(file), fileManifests });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: loaded };
}

/** Every profile in several files; issues from all files together. */
export async function loadProfileFiles(files: readonly string[]): Promise<ProfileResult<LoadedProfile[]>> {
  const results = await Promise.all(files.map((file) => loadProfileFile(file)));
  const issues = results.flatMap((r) => (r.ok ? [] : r.issues));
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: results.flatMap((r) => (r.ok ? r.value : [])) };
}

function shownDir(shown: string): string {
  const dir = path.dirname(shown);
  return dir === '.' ? 'the profile file' : `${dir}/`;
}

/** The file's text, or why it cannot be read; the size is checked before reading. */
async function readLimited(file: string): Promise<string | { kind: ProfileIssue['kind']; message: string }> {
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

/** A chart directory must hold Chart.yaml; otherwise the path must be a .tgz file. */
async function checkLocalChart(absolute: string): Promise<string | undefined> {
  try {
    const info = await stat(absolute);
    if (info.isDirectory()) {
      const chart = await stat(path.join(absolute, 'Chart.yaml')).catch(() => undefined);
      return chart?.isFile() === true ? undefined : 'chart directory has no Chart.yaml';
    }
    return absolute.endsWith('.tgz') ? undefined : 'expected a chart directory or a .tgz file';
  } catch {
    return 'chart not found';
  }
}

type ManifestFileResult =
  { ok: true; objects: KubeObject[] } | { ok: false; missing: boolean; issues: ProfileIssue[] };

async function loadManifestFile(absolute: string, shown: string): Promise<ManifestFileResult> {
  const text = await readLimited(absolute);
  if (typeof text !== 'string') {
    const missing = text.kind === IssueKind.MissingFile;
    return {
      ok: false,
      missing,
      issues: missing ? [] : [{ file: shown, line: 1, column: 1, ...text, path: '' }],
    };
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const issues: ProfileIssue[] = [];
  const objects: KubeObject[] = [];
  for (const [index, doc] of (Array.isArray(docs) ? docs : []).entries()) {
    const at = (offset: number): SourcePosition => {
      const { line, col } = lineCounter.linePos(offset);
      return { file: shown, line, column: col };
    };
    if (doc.errors.length > 0) {
      for (const error of doc.errors)
        issues.push({
          ...at(error.pos[0]),
          kind: IssueKind.Yaml,
          path: '',
          message: `invalid YAML: ${firstLine(error.message)}`,
        });
      continue;
    }
    if (isEmptyDocument(doc)) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      issues.push({
        ...at(doc.range[0]),
        kind: IssueKind.Yaml,
        path: '',
        message: `invalid YAML: ${error instanceof Error ? firstLine(error.message) : String(error)}`,
      });
      continue;
    }
    const problem = kubeObjectProblem(value);
    if (problem === undefined) objects.push(value as KubeObject);
    else
      issues.push({
        ...at(doc.range[0]),
        kind: IssueKind.Type,
        path: `[document ${index}]`,
        message: problem,
      });
  }
  return issues.length > 0 ? { ok: false, missing: false, issues } : { ok: true, objects };
}
