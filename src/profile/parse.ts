// YAML text → validated ClusterProfiles, or every problem with its line:column. Never throws on bad input.
// A file may hold several profiles separated by `---`; empty documents are ignored.
import type { Document } from 'yaml';
import { describeValue } from './describe.js';
import { isRecord } from '../shared/guards.js';
import { capIssues, IssueKind, type ProfileIssue, type ProfileResult } from './errors.js';
import { formatPath, type ClusterProfile } from './model.js';
import { firstLine, normalizeProfile } from './normalize.js';
import { clusterProfileSchema } from './schema.js';
import { isEmptyDocument, YamlSource, type ProfileSource } from './source.js';
import { documentProblems, readYaml, toPlainData, type YamlProblem, type YamlText } from './yaml-limits.js';
import { translateZodIssues } from './zod-issues.js';

import { MAX_PROFILE_BYTES } from '../shared/profile-size.js';

export { MAX_PROFILE_BYTES };

export { MAX_ISSUES } from './errors.js';

export interface ParsedProfile {
  readonly profile: ClusterProfile;
  /** Maps field paths to positions in the file, for issues found later (composition, resolution). */
  readonly source: ProfileSource;
}

export interface ParseOptions {
  /** The name shown in issues, e.g. `profiles/monitoring.yaml`. */
  readonly file: string;
  /**
   * The text of a version the hub stored already: it loads under the rules it was accepted with where they
   * have since been tightened. So far one: a `default` on a sensitive variable, refused in new versions, stays
   * in effect in a stored one (an attachment relying on it keeps rendering with it); the API shows it masked
   * (sensitive-defaults.ts).
   */
  readonly storedVersion?: boolean;
}

export function parseProfiles(text: string, options: ParseOptions): ProfileResult<ParsedProfile[]> {
  const { file } = options;
  const start = { file, line: 1, column: 1 };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PROFILE_BYTES) {
    return {
      ok: false,
      issues: [
        {
          ...start,
          kind: IssueKind.TooLarge,
          path: '',
          message: `file is ${bytes} bytes; the limit is ${MAX_PROFILE_BYTES} (1 MiB)`,
        },
      ],
    };
  }
  let yaml: YamlText;
  try {
    yaml = readYaml(text);
  } catch (error) {
    // The yaml library reports problems as document errors; this is a last line of defence.
    const reason = error instanceof Error ? firstLine(error.message) : 'the text cannot be parsed';
    return {
      ok: false,
      issues: [{ ...start, kind: IssueKind.Yaml, path: '', message: `invalid YAML: ${reason}` }],
    };
  }
  const { docs, lineCounter } = yaml;
  const yamlIssue = (problem: YamlProblem): ProfileIssue => {
    const { line, col } = lineCounter.linePos(problem.offset);
    return {
      file,
      line,
      column: col,
      kind: IssueKind.Yaml,
      path: '',
      message: `invalid YAML: ${firstLine(problem.message)}`,
    };
  };

  const issues: ProfileIssue[] = yaml.problems.map(yamlIssue);
  const profiles: ParsedProfile[] = [];
  for (const doc of docs) {
    const problems = documentProblems(doc);
    if (problems.length > 0) {
      issues.push(...problems.map(yamlIssue));
      continue;
    }
    if (isEmptyDocument(doc)) continue;
    const source = new YamlSource({ file, doc, lineCounter, text });
    const parsed = parseDocument(doc, source, options.storedVersion === true);
    if (parsed.ok) profiles.push({ profile: parsed.value, source });
    else issues.push(...parsed.issues);
  }
  issues.push(...duplicateProfiles(profiles));
  if (issues.length > 0) return { ok: false, issues: capIssues(issues) };
  if (profiles.length === 0) {
    return {
      ok: false,
      issues: [
        {
          ...start,
          kind: IssueKind.MissingField,
          path: '',
          message: 'expected a ClusterProfile document; the file is empty',
        },
      ],
    };
  }
  return { ok: true, value: profiles };
}

/** Exactly one profile: a second document is an error pointing at it. */
export function parseProfile(text: string, options: ParseOptions): ProfileResult<ParsedProfile> {
  const result = parseProfiles(text, options);
  if (!result.ok) return result;
  const [first, second] = result.value;
  if (first === undefined) throw new Error('unreachable: parseProfiles returned no profile');
  if (second !== undefined) {
    return {
      ok: false,
      issues: [
        {
          ...second.source.position([]),
          kind: IssueKind.Yaml,
          path: '',
          message: `expected one profile document; got ${result.value.length}`,
        },
      ],
    };
  }
  return { ok: true, value: first };
}

/** A parsed document as plain data, or the positioned issue of what YAML feature it used that JSON has not. */
export function plainDocument(doc: Document.Parsed, source: YamlSource): ProfileResult<unknown> {
  const data = toPlainData(doc);
  if (data.ok) return { ok: true, value: data.value };
  return {
    ok: false,
    issues: [
      {
        ...source.position(data.path),
        kind: IssueKind.Yaml,
        path: formatPath(data.path),
        message: `invalid YAML: ${firstLine(data.message)}`,
      },
    ],
  };
}

function parseDocument(
  doc: Document.Parsed,
  source: YamlSource,
  storedVersion: boolean,
): ProfileResult<ClusterProfile> {
  const data = plainDocument(doc, source);
  if (!data.ok) return data;
  const input = data.value;
  if (!isRecord(input)) {
    return {
      ok: false,
      issues: [
        {
          ...source.position([]),
          kind: IssueKind.Type,
          path: '',
          message: `expected a ClusterProfile mapping; got ${describeValue(input)}`,
        },
      ],
    };
  }
  const result = clusterProfileSchema.safeParse(input);
  if (!result.success) {
    return {
      ok: false,
      issues: translateZodIssues(result.error.issues, {
        schema: clusterProfileSchema,
        input,
        source,
        isSensitive: (path) => isSensitiveDefault(input, path),
      }),
    };
  }
  return normalizeProfile(result.data, { source, storedVersion });
}

/** `spec.variables[i].default` of a variable marked sensitive. */
function isSensitiveDefault(input: Record<string, unknown>, path: readonly (string | number)[]): boolean {
  const [spec, variables, index, field] = path;
  if (spec !== 'spec' || variables !== 'variables' || typeof index !== 'number' || field !== 'default')
    return false;
  const list = isRecord(input.spec) ? input.spec.variables : undefined;
  const variable: unknown = Array.isArray(list) ? list[index] : undefined;
  return isRecord(variable) && variable.sensitive === true;
}

/** Two documents of one file with the same name@version: the second would silently shadow the first. */
function duplicateProfiles(profiles: readonly ParsedProfile[]): ProfileIssue[] {
  const seen = new Map<string, ParsedProfile>();
  const issues: ProfileIssue[] = [];
  for (const parsed of profiles) {
    const key = `${parsed.profile.metadata.name}@${parsed.profile.spec.version}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, parsed);
      continue;
    }
    const where = first.source.position(['metadata', 'name']);
    issues.push({
      ...parsed.source.position(['metadata', 'name']),
      kind: IssueKind.Duplicate,
      path: 'metadata.name',
      message: `duplicate profile ${key} in this file; first defined at line ${where.line}`,
    });
  }
  return issues;
}
