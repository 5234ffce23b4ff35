// From a schema-valid file to a ClusterProfile: the checks zod cannot express (cross-field rules, semver,
// embedded YAML, the Palette block, macros) and the defaults. Collects every issue instead of stopping.
import type { Document } from 'yaml';
import semver from 'semver';
import { describeValue, SENSITIVE_PLACEHOLDER } from './describe.js';
import { isRecord } from '../shared/guards.js';
import { parseDuration } from '../shared/duration.js';
import { IssueKind, type ProfileIssue, type ProfileResult } from './errors.js';
import { ALLOWED_LAYERS, findDependencyCycles } from './compose.js';
import { checkMacros } from './macro-check.js';
import { normalizeHealthChecks } from './health-checks.js';
import {
  ChartSourceKind,
  DEFAULT_NAMESPACE,
  DEFAULT_TIMEOUT_MS,
  formatPath,
  PrioritySource,
  type ChartSource,
  type ClusterProfile,
  type FieldPath,
  type KubeObject,
  type NamespaceSpec,
  type Pack,
  type Variable,
} from './model.js';
import { compileUserRegex, RegexVerdict, tooLongToMatch, type UserRegex } from './user-regex.js';
import { documentProblems, readYaml, toPlainData } from './yaml-limits.js';
import { splitPaletteBlock, type PaletteBlock } from './palette.js';
import {
  MAX_VARIABLES,
  PackType,
  ProfileType,
  type ClusterProfileFile,
  type NamespaceFile,
  type PackFile,
} from './schema.js';
import { isEmptyDocument, YamlSource, type ProfileSource } from './source.js';

export interface NormalizeOptions {
  readonly source: ProfileSource;
  /** Where this profile sits in the file's list of documents, for nothing but messages. */
  readonly basePath?: FieldPath;
  /** A version the hub stored already (parse.ts, ParseOptions.storedVersion). */
  readonly storedVersion?: boolean;
}

class IssueList {
  readonly items: ProfileIssue[] = [];
  constructor(private readonly source: ProfileSource) {}
  add(kind: ProfileIssue['kind'], path: FieldPath, message: string, options: { key?: boolean } = {}): void {
    this.items.push({ ...this.source.position(path, options), kind, path: formatPath(path), message });
  }
  addAt(
    kind: ProfileIssue['kind'],
    path: FieldPath,
    position: ReturnType<ProfileSource['position']>,
    message: string,
  ): void {
    this.items.push({ ...position, kind, path: formatPath(path), message });
  }
}

export function normalizeProfile(
  file: ClusterProfileFile,
  options: NormalizeOptions,
): ProfileResult<ClusterProfile> {
  const issues = new IssueList(options.source);
  const variables = normalizeVariables(file, issues, options.storedVersion === true);

  const seenPacks = new Map<string, number>();
  const packs: Pack[] = [];
  file.spec.packs.forEach((pack, index) => {
    const path = ['spec', 'packs', index];
    const first = seenPacks.get(pack.name);
    if (first !== undefined) {
      issues.add(
        IssueKind.Duplicate,
        [...path, 'name'],
        `duplicate pack name ${JSON.stringify(pack.name)}; first used by spec.packs[${first}]`,
      );
    } else {
      seenPacks.set(pack.name, index);
    }
    const normalized = normalizePack(pack, path, issues, options.source);
    if (normalized !== undefined) packs.push(normalized);
  });

  const healthChecks = normalizeHealthChecks(file.spec.healthChecks, options.source);
  issues.items.push(...healthChecks.issues);
  checkLayers(file, issues);
  checkDependencyCycles(file, issues);
  checkSemver(file.spec.version, ['spec', 'version'], issues);
  const profile: ClusterProfile = {
    apiVersion: file.apiVersion,
    kind: file.kind,
    metadata: {
      name: file.metadata.name,
      labels: file.metadata.labels ?? {},
      annotations: file.metadata.annotations ?? {},
    },
    spec: {
      version: file.spec.version,
      type: file.spec.type,
      ...(file.spec.description === undefined ? {} : { description: file.spec.description }),
      variables,
      ...(healthChecks.specs.length === 0 ? {} : { healthChecks: healthChecks.specs }),
      packs,
    },
  };
  // Packs with other problems were left out of `packs`; check the macros of the rest.
  for (const problem of checkMacros(profile)) issues.add(problem.kind, problem.path, problem.message);
  return issues.items.length === 0 ? { ok: true, value: profile } : { ok: false, issues: issues.items };
}

function normalizeVariables(file: ClusterProfileFile, issues: IssueList, storedVersion: boolean): Variable[] {
  const declared = file.spec.variables?.length ?? 0;
  // Said once, at the first variable past the limit; a version stored before the rule keeps loading.
  if (declared > MAX_VARIABLES && !storedVersion) {
    issues.add(
      IssueKind.TooLarge,
      ['spec', 'variables', MAX_VARIABLES],
      `expected at most ${MAX_VARIABLES} variables (a request sets at most ${MAX_VARIABLES} values); got ${declared}`,
    );
  }
  const seen = new Set<string>();
  return (file.spec.variables ?? []).map((variable, index) => {
    const path = ['spec', 'variables', index];
    if (seen.has(variable.name)) {
      issues.add(
        IssueKind.Duplicate,
        [...path, 'name'],
        `duplicate variable ${JSON.stringify(variable.name)}`,
      );
    }
    seen.add(variable.name);
    const regex =
      variable.regex === undefined ? undefined : compileRegex(variable.regex, [...path, 'regex'], issues);
    const sensitive = variable.sensitive ?? false;
    // A secret does not live in the profile (as with Helm charts' defaults): every viewer reads a profile's source
    // and bundle, and the hub stores it as written. Its value comes per cluster (`attach --set`), sealed.
    if (sensitive && variable.default !== undefined && !storedVersion) {
      issues.add(
        IssueKind.InvalidValue,
        [...path, 'default'],
        `variable ${JSON.stringify(variable.name)} is sensitive, so it takes no default (the profile is readable ` +
          `by every viewer): remove it and give the value per cluster, e.g. \`strata attach CLUSTER PROFILE ` +
          `--set ${variable.name}=…\``,
      );
    }
    const verdict =
      regex === undefined || variable.default === undefined ? undefined : regex.matchWhole(variable.default);
    if (verdict === RegexVerdict.TooLong) {
      issues.add(
        IssueKind.VariableMismatch,
        [...path, 'default'],
        tooLongToMatch(variable.default?.length ?? 0),
      );
    } else if (verdict === RegexVerdict.Mismatch) {
      const shown = sensitive ? SENSITIVE_PLACEHOLDER : describeValue(variable.default);
      issues.add(
        IssueKind.VariableMismatch,
        [...path, 'default'],
        `expected a value matching /${variable.regex ?? ''}/; got ${shown}`,
      );
    }
    return {
      name: variable.name,
      ...(variable.description === undefined ? {} : { description: variable.description }),
      ...(variable.default === undefined ? {} : { default: variable.default }),
      required: variable.required ?? false,
      ...(variable.regex === undefined ? {} : { regex: variable.regex }),
      sensitive,
    };
  });
}

function compileRegex(source: string, path: FieldPath, issues: IssueList): UserRegex | undefined {
  const compiled = compileUserRegex(source);
  if (compiled.ok) return compiled.regex;
  issues.add(
    IssueKind.InvalidValue,
    path,
    `expected a valid regular expression; got ${describeValue(source)} (${compiled.reason})`,
  );
  return undefined;
}

/** An infra profile holds no addon pack and an add-on profile only addon packs (the cluster check repeats it). */
function checkLayers(file: ClusterProfileFile, issues: IssueList): void {
  const type = file.spec.type;
  const allowed = ALLOWED_LAYERS[type];
  file.spec.packs.forEach((pack, index) => {
    if (allowed.includes(pack.layer)) return;
    issues.add(
      IssueKind.Composition,
      ['spec', 'packs', index, 'layer'],
      `expected one of ${allowed.join(', ')} in ${type === ProfileType.AddOn ? 'an add-on' : `an ${type}`} profile; got ${JSON.stringify(pack.layer)}`,
    );
  });
}

/** A dependsOn cycle among one profile's packs; cycles through other profiles are found per cluster. */
function checkDependencyCycles(file: ClusterProfileFile, issues: IssueList): void {
  const graph = new Map<string, readonly string[]>();
  const indexOf = new Map<string, number>();
  file.spec.packs.forEach((pack, index) => {
    if (graph.has(pack.name)) return; // A duplicate name is its own issue.
    // Self-dependencies are reported by normalizePack.
    graph.set(
      pack.name,
      (pack.dependsOn ?? []).filter((name) => name !== pack.name),
    );
    indexOf.set(pack.name, index);
  });
  for (const cycle of findDependencyCycles(graph)) {
    const [first, next] = cycle;
    const index = first === undefined ? undefined : indexOf.get(first);
    if (index === undefined || next === undefined) continue;
    const depIndex = file.spec.packs[index]?.dependsOn?.indexOf(next) ?? 0;
    issues.add(
      IssueKind.Cycle,
      ['spec', 'packs', index, 'dependsOn', depIndex],
      `dependency cycle: ${cycle.join(' -> ')}`,
    );
  }
}

/**
 * Why `path` (a local chart or a manifest file) is not a plain relative path inside the profile's folder, or
 * undefined. Grammar only: the loader also refuses symlinks that leave the folder.
 */
export function relativePathProblem(path: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'control characters are not allowed';
  if (path.includes('\\')) return 'backslashes are not allowed; separate folders with /';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'expected a path relative to the profile file';
  if (path.startsWith('-')) return 'a path may not start with -';
  // One trailing / is how a folder is often written (`./charts/web/`); an empty segment elsewhere is not.
  const segments = path.replace(/\/$/, '').split('/');
  if (segments.includes('..')) return '.. is not allowed; the path must stay inside the profile folder';
  if (segments.includes('')) return 'empty path segment (//)';
  return undefined;
}

function checkRelativePath(path: string, at: FieldPath, issues: IssueList): boolean {
  const problem = relativePathProblem(path);
  if (problem === undefined) return true;
  issues.add(
    IssueKind.InvalidValue,
    at,
    `expected a relative path inside the profile folder; got ${describeValue(path)} (${problem})`,
  );
  return false;
}

function checkSemver(version: string, path: FieldPath, issues: IssueList): void {
  // The schema's pattern already holds; semver.valid also rejects what the pattern lets through (huge numbers).
  if (semver.valid(version) === null) {
    issues.add(
      IssueKind.InvalidValue,
      path,
      `expected a semantic version like 1.2.3; got ${describeValue(version)}`,
    );
  }
}

function normalizePack(
  pack: PackFile,
  path: FieldPath,
  issues: IssueList,
  source: ProfileSource,
): Pack | undefined {
  const before = issues.items.length;
  checkSemver(pack.version, [...path, 'version'], issues);
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (pack.timeout !== undefined) {
    const parsed = parseDuration(pack.timeout);
    if (parsed === undefined) {
      issues.add(
        IssueKind.InvalidValue,
        [...path, 'timeout'],
        `expected a positive duration like 90s, 10m or 1h30m; got ${describeValue(pack.timeout)}`,
      );
    } else {
      timeoutMs = parsed;
    }
  }
  let healthGraceMs: number | undefined;
  if (pack.healthGrace !== undefined) {
    healthGraceMs = parseDuration(pack.healthGrace);
    if (healthGraceMs === undefined) {
      issues.add(
        IssueKind.InvalidValue,
        [...path, 'healthGrace'],
        `expected a positive duration like 30s or 2m; got ${describeValue(pack.healthGrace)}`,
      );
    }
  }
  const dependsOn: string[] = [];
  (pack.dependsOn ?? []).forEach((name, index) => {
    if (name === pack.name) {
      issues.add(
        IssueKind.Cycle,
        [...path, 'dependsOn', index],
        `pack ${JSON.stringify(pack.name)} depends on itself: ${pack.name} -> ${pack.name}`,
      );
    } else if (!dependsOn.includes(name)) {
      dependsOn.push(name);
    }
  });

  const base = (block: PaletteBlock): Omit<Pack, 'type'> => ({
    name: pack.name,
    layer: pack.layer,
    version: pack.version,
    // Precedence: the pack's own field, then the Palette `pack:` block in the values, then the default.
    ...(pack.installPriority !== undefined
      ? { installPriority: pack.installPriority, prioritySource: PrioritySource.Pack }
      : block.installPriority !== undefined
        ? { installPriority: block.installPriority, prioritySource: PrioritySource.ValuesPackBlock }
        : { installPriority: 0, prioritySource: PrioritySource.Default }),
    dependsOn,
    timeoutMs,
    ...(healthGraceMs === undefined ? {} : { healthGraceMs }),
    namespace: normalizeNamespace(pack.namespace, block.namespace),
  });

  switch (pack.type) {
    case PackType.Helm: {
      const chart = normalizeChart(pack, path, issues);
      const values = normalizeValues(pack.values, [...path, 'values'], issues, source);
      const split = splitPaletteBlock(values);
      for (const problem of split.problems) {
        issues.add(problem.kind, [...path, 'values', ...problem.path], problem.message, { key: problem.key });
      }
      if (issues.items.length > before || chart === undefined) return undefined;
      return {
        ...base(split.block),
        type: PackType.Helm,
        chart,
        releaseName: pack.releaseName ?? pack.name,
        values: split.values,
        ...(pack.deleteCrds === true ? { deleteCrds: true as const } : {}),
      };
    }
    case PackType.Manifest: {
      const manifests = normalizeManifests(pack.manifests, [...path, 'manifests'], issues, source);
      const files = pack.files ?? [];
      files.forEach((file, index) => checkRelativePath(file, [...path, 'files', index], issues));
      if (manifests.length === 0 && files.length === 0 && issues.items.length === before) {
        issues.add(IssueKind.MissingField, path, 'a manifest pack needs at least one of manifests or files');
      }
      if (issues.items.length > before) return undefined;
      return { ...base({}), type: PackType.Manifest, manifests, files };
    }
  }
}

function normalizeNamespace(
  namespace: NamespaceFile | undefined,
  fromBlock: string | undefined,
): NamespaceSpec {
  if (typeof namespace === 'object') {
    return {
      name: namespace.name,
      labels: namespace.labels ?? {},
      annotations: namespace.annotations ?? {},
      create: namespace.create ?? true,
    };
  }
  return { name: namespace ?? fromBlock ?? DEFAULT_NAMESPACE, labels: {}, annotations: {}, create: true };
}

function normalizeChart(
  pack: Extract<PackFile, { type: 'helm' }>,
  path: FieldPath,
  issues: IssueList,
): ChartSource | undefined {
  const chart = pack.chart;
  const chartPath = [...path, 'chart'];
  const given = (['path', 'repo', 'oci'] as const).filter((key) => chart[key] !== undefined);
  if (given.length !== 1) {
    const got = given.length === 0 ? 'none' : given.join(' and ');
    issues.add(
      IssueKind.InvalidValue,
      chartPath,
      `expected exactly one chart source: path, repo (with name) or oci; got ${got}`,
    );
    return undefined;
  }
  if (chart.name !== undefined && chart.repo === undefined) {
    issues.add(IssueKind.UnknownField, [...chartPath, 'name'], 'name applies only to repo charts', {
      key: true,
    });
  }
  if (chart.path !== undefined) {
    if (chart.version !== undefined) {
      issues.add(
        IssueKind.InvalidValue,
        [...chartPath, 'version'],
        "version applies to repo and oci charts; a local chart's version is in its Chart.yaml",
        { key: true },
      );
    }
    if (chart.source !== undefined) {
      issues.add(IssueKind.UnknownField, [...chartPath, 'source'], 'source applies to repo and oci charts');
      return undefined;
    }
    if (!checkRelativePath(chart.path, [...chartPath, 'path'], issues)) return undefined;
    return { kind: ChartSourceKind.Local, path: chart.path };
  }
  const version = chart.version ?? pack.version;
  if (chart.version !== undefined) checkSemver(chart.version, [...chartPath, 'version'], issues);
  if (chart.repo !== undefined) {
    if (chart.name === undefined) {
      issues.add(
        IssueKind.MissingField,
        [...chartPath, 'name'],
        'required field missing; a repo chart needs the chart name',
      );
      return undefined;
    }
    return {
      kind: ChartSourceKind.Repo,
      repo: chart.repo,
      name: chart.name,
      version,
      ...(chart.source === undefined ? {} : { source: chart.source }),
    };
  }
  return {
    kind: ChartSourceKind.Oci,
    ref: chart.oci ?? '',
    version,
    ...(chart.source === undefined ? {} : { source: chart.source }),
  };
}

/** Parses YAML embedded in a string field; the documents are registered with the source for positions. */
function parseEmbedded(
  text: string,
  path: FieldPath,
  issues: IssueList,
  source: ProfileSource,
  multi: boolean,
): { docs: Document.Parsed[]; values: unknown[] } | undefined {
  const yaml = readYaml(text);
  const docs = yaml.docs.filter((doc) => !isEmptyDocument(doc) || doc.errors.length > 0);
  const problems = [...yaml.problems, ...docs.flatMap((doc) => documentProblems(doc))];
  for (const problem of problems) {
    const inner = yaml.lineCounter.linePos(problem.offset);
    issues.addAt(
      IssueKind.Yaml,
      path,
      source.innerPosition(path, { line: inner.line, column: inner.col }),
      `invalid YAML: ${firstLine(problem.message)}`,
    );
  }
  if (problems.length > 0) return undefined;
  if (source instanceof YamlSource) source.embed(path, { docs, lineCounter: yaml.lineCounter, multi });
  const values: unknown[] = [];
  for (const [index, doc] of docs.entries()) {
    const data = toPlainData(doc);
    if (!data.ok) {
      const where = [...path, ...(multi ? [index] : []), ...data.path];
      issues.add(IssueKind.Yaml, where, `invalid YAML: ${firstLine(data.message)}`);
      return undefined;
    }
    values.push(data.value);
  }
  return { docs, values };
}

export function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function normalizeValues(
  values: string | Record<string, unknown> | undefined,
  path: FieldPath,
  issues: IssueList,
  source: ProfileSource,
): Record<string, unknown> {
  if (values === undefined) return {};
  if (typeof values !== 'string') return values;
  const parsed = parseEmbedded(values, path, issues, source, false);
  if (parsed === undefined) return {};
  if (parsed.docs.length > 1) {
    issues.add(IssueKind.Yaml, path, `expected one YAML document of values; got ${parsed.docs.length}`);
    return {};
  }
  const value = parsed.values[0];
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) {
    issues.add(IssueKind.Type, path, `expected values to be a mapping; got ${describeValue(value)}`);
    return {};
  }
  return value;
}

function normalizeManifests(
  manifests: string | readonly KubeObject[] | undefined,
  path: FieldPath,
  issues: IssueList,
  source: ProfileSource,
): KubeObject[] {
  if (manifests === undefined) return [];
  if (typeof manifests !== 'string') return [...manifests];
  const parsed = parseEmbedded(manifests, path, issues, source, true);
  if (parsed === undefined) return [];
  const objects: KubeObject[] = [];
  parsed.values.forEach((value, index) => {
    const problem = kubeObjectProblem(value, { quoteValue: true });
    if (problem === undefined) objects.push(value as KubeObject);
    else issues.add(IssueKind.Type, [...path, index], problem);
  });
  return objects;
}

/**
 * What is wrong with a would-be Kubernetes object, or undefined when it has apiVersion, kind, metadata.name.
 * The value is quoted only with `quoteValue` (text the caller sent inline): the content of a file the hub read
 * is never echoed, since a path could name a file the caller may not read.
 */
export function kubeObjectProblem(
  value: unknown,
  options: { readonly quoteValue?: boolean } = {},
): string | undefined {
  const ok =
    isRecord(value) &&
    typeof value.apiVersion === 'string' &&
    value.apiVersion !== '' &&
    typeof value.kind === 'string' &&
    value.kind !== '' &&
    isRecord(value.metadata) &&
    typeof value.metadata.name === 'string' &&
    value.metadata.name !== '';
  if (ok) return undefined;
  const got = options.quoteValue === true ? describeValue(value) : describeShape(value);
  return `expected a Kubernetes object with apiVersion, kind and metadata.name; got ${got}`;
}

/** What kind of value this is, without any of its content. */
function describeShape(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping without them';
  return `a ${typeof value}`;
}
