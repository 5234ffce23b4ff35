// Loading profiles: checks what parsing cannot: local chart paths and manifest files, read through a FileSource
// (the profile's folder on disk, an upload's entries or a stored version's blobs), and the contents of those
// files. A reference is a path inside the profile's folder (referencePath) whatever the source.
import path from 'node:path';
import { referencePath } from './bundle.js';
import { diskFiles, readLimited } from './disk-files.js';
import { LineCounter } from 'yaml';
import { yamlDocuments } from '../shared/yaml-parse.js';
import { IssueKind, type ProfileIssue, type ProfileResult, type SourcePosition } from './errors.js';
import { checkMacrosIn, DeclaredNames } from './macro-check.js';
import { ChartSourceKind, formatPath, type FieldPath, type KubeObject } from './model.js';
import { firstLine, kubeObjectProblem } from './normalize.js';
import { MAX_PROFILE_BYTES, parseProfiles, type ParsedProfile } from './parse.js';
import { PackType } from './schema.js';
import { isEmptyDocument } from './source.js';

/** What a profile references on the machine it was written on: a local chart or a manifest pack's file. */
export const ReferenceKind = { Chart: 'chart', File: 'file' } as const;
export type ReferenceKind = (typeof ReferenceKind)[keyof typeof ReferenceKind];

export interface LocalReference {
  readonly kind: ReferenceKind;
  /** Normalized, inside the profile's folder (see referencePath). */
  readonly path: string;
}

export interface LoadedProfile extends ParsedProfile {
  /** Objects from each manifest pack's `files`, keyed by the path as written; pass to resolveProfile. */
  readonly fileManifests: ReadonlyMap<string, readonly KubeObject[]>;
  /** Local chart path as written → a chart folder or archive helm can read on this machine, when there is one. */
  readonly chartFiles: ReadonlyMap<string, string>;
  /** Every local chart and file the profile references, each once: what a bundle of it carries. */
  readonly references: readonly LocalReference[];
}

/** A file's content, or why there is none (`message` is shown before the path: "file not found"). */
export type SourceResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly kind: ProfileIssue['kind']; readonly message: string };

/**
 * Where the loader reads what a profile references, by normalized path (see referencePath): the profile's
 * folder on the CLI's disk (diskFiles), an upload's entries on the hub (bundleFiles), or a stored version's
 * blobs. The loader itself opens no file.
 */
export interface FileSource {
  /** How issues say where paths are looked up ("in the bundle"); default "relative to <the profile's folder>". */
  readonly where?: string;
  readText(path: string): Promise<SourceResult<string>>;
  /** Checks a local chart; `location` is where helm can read it on this machine, when it can. */
  chart(path: string): Promise<SourceResult<{ readonly location?: string }>>;
}

export interface LoadOptions {
  /** Name shown in issues (default: `file` as given). */
  readonly displayName?: string;
}

/** All profiles in one file, fully checked, or every issue found. Local files are read from its folder only. */
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
  return loadProfileText(text, { files: diskFiles(path.dirname(path.resolve(file))), displayName: shown });
}

export interface LoadTextOptions {
  /** Where local charts and manifest files are read from. */
  readonly files: FileSource;
  /** Name shown in issues. */
  readonly displayName: string;
  /** A version the hub stored already (ParseOptions.storedVersion). */
  readonly storedVersion?: boolean;
}

/** Like loadProfileFile, for text already in memory (an upload, a stored version). */
export async function loadProfileText(
  text: string,
  options: LoadTextOptions,
): Promise<ProfileResult<LoadedProfile[]>> {
  const shown = options.displayName;
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
  const parsed = parseProfiles(text, { file: shown, storedVersion: options.storedVersion === true });
  if (!parsed.ok) return parsed;
  return loadParsedProfiles(parsed.value, options);
}

/**
 * The second half of loadProfileText, for profiles already parsed: their local charts and manifest files read
 * and checked. The hub plans from a stored version's parsed form (its `parsed` column) this way, without
 * parsing its YAML again; its issues then carry the positions `source` gives.
 */
export async function loadParsedProfiles(
  parsed: readonly ParsedProfile[],
  options: LoadTextOptions,
): Promise<ProfileResult<LoadedProfile[]>> {
  const shown = options.displayName;
  const where = options.files.where ?? `relative to ${shownDir(shown)}`;
  const issues: ProfileIssue[] = [];
  const loaded: LoadedProfile[] = [];
  for (const profile of parsed) {
    const fileManifests = new Map<string, readonly KubeObject[]>();
    const chartFiles = new Map<string, string>();
    const references = new Map<string, LocalReference>();
    const add = (kind: ProfileIssue['kind'], fieldPath: FieldPath, message: string): void => {
      issues.push({ ...profile.source.position(fieldPath), kind, path: formatPath(fieldPath), message });
    };
    /** The normalized path of a reference, or undefined after reporting why it cannot be one. */
    const reference = (written: string, fieldPath: FieldPath): string | undefined => {
      const checked = referencePath(written);
      if (checked.ok) return checked.path;
      add(IssueKind.InvalidValue, fieldPath, checked.message);
      return undefined;
    };
    const declared = new DeclaredNames(profile.profile.spec.variables.map((v) => v.name));
    for (const [index, pack] of profile.profile.spec.packs.entries()) {
      const packPath = ['spec', 'packs', index];
      switch (pack.type) {
        case PackType.Helm: {
          if (pack.chart.kind !== ChartSourceKind.Local) break;
          const fieldPath = [...packPath, 'chart', 'path'];
          const normalized = reference(pack.chart.path, fieldPath);
          if (normalized === undefined) break;
          const chart = await options.files.chart(normalized);
          if (!chart.ok) {
            add(chart.kind, fieldPath, `${chart.message}: ${JSON.stringify(pack.chart.path)} (${where})`);
            break;
          }
          if (references.get(normalized)?.kind === ReferenceKind.File) {
            add(IssueKind.InvalidValue, fieldPath, `${JSON.stringify(normalized)} is also a manifest file`);
            break;
          }
          references.set(normalized, { kind: ReferenceKind.Chart, path: normalized });
          if (chart.value.location !== undefined) chartFiles.set(pack.chart.path, chart.value.location);
          break;
        }
        case PackType.Manifest:
          for (const [fileIndex, written] of pack.files.entries()) {
            const filePath = [...packPath, 'files', fileIndex];
            const normalized = reference(written, filePath);
            if (normalized === undefined) continue;
            const text = await options.files.readText(normalized);
            if (!text.ok) {
              add(text.kind, filePath, `${text.message}: ${JSON.stringify(written)} (${where})`);
              continue;
            }
            if (references.get(normalized)?.kind === ReferenceKind.Chart) {
              add(IssueKind.InvalidValue, filePath, `${JSON.stringify(normalized)} is also a local chart`);
              continue;
            }
            references.set(normalized, { kind: ReferenceKind.File, path: normalized });
            const result = parseManifestText(text.value, path.join(path.dirname(shown), written));
            if (!result.ok) {
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
            fileManifests.set(written, result.objects);
          }
          break;
      }
    }
    loaded.push({ ...profile, fileManifests, chartFiles, references: [...references.values()] });
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

type ManifestFileResult = { ok: true; objects: KubeObject[] } | { ok: false; issues: ProfileIssue[] };

/** The Kubernetes objects of a manifest file's text, or its issues positioned in that file. */
function parseManifestText(text: string, shown: string): ManifestFileResult {
  const lineCounter = new LineCounter();
  // Repeated keys are refused, found in linear time; one document's syntax tree is held at a time
  // (shared/yaml-parse.ts).
  const issues: ProfileIssue[] = [];
  const objects: KubeObject[] = [];
  let index = -1;
  for (const doc of yamlDocuments(text, { lineCounter, prettyErrors: false })) {
    index++;
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
  return issues.length > 0 ? { ok: false, issues } : { ok: true, objects };
}
