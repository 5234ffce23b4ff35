// Deploy-time resolution of variables and macros for one cluster: a pure function from a profile and the
// cluster's variable values to packs ready to render, or positioned issues. Sensitive values never appear in
// issues; the returned Redactor hides them in anything derived for display.
import { describeValue, SENSITIVE_PLACEHOLDER } from './describe.js';
import { capIssues, IssueKind, type ProfileIssue, type ProfileResult } from './errors.js';
import { checkMacrosIn, DeclaredNames } from './macro-check.js';
import { mapStrings, substituteMacros, type Macro } from './macros.js';
import { formatPath, type FieldPath, type KubeObject, type Pack } from './model.js';
import type { ParsedProfile } from './parse.js';
import { Redactor } from './redact.js';
import { PackType } from './schema.js';
import { compileUserRegex, RegexVerdict, tooLongToMatch } from './user-regex.js';

export interface ResolveOptions {
  readonly clusterName: string;
  /** The cluster's values for the profile's variables, by name. */
  readonly values: Readonly<Record<string, string>>;
  /** Objects read from each manifest pack's `files`, keyed by the path as written (see load.ts). */
  readonly fileManifests?: ReadonlyMap<string, readonly KubeObject[]>;
}

export interface ResolvedProfile {
  readonly name: string;
  readonly version: string;
  /** Packs with every macro replaced; manifest packs carry their file objects in `manifests` too. */
  readonly packs: readonly Pack[];
  readonly redactor: Redactor;
}

export function resolveProfile(
  parsed: ParsedProfile,
  options: ResolveOptions,
): ProfileResult<ResolvedProfile> {
  const { profile, source } = parsed;
  const issues: ProfileIssue[] = [];
  const add = (
    kind: ProfileIssue['kind'],
    path: FieldPath,
    message: string,
    where: FieldPath = path,
  ): void => {
    issues.push({ ...source.position(where), kind, path: formatPath(path), message });
  };
  const variables = profile.spec.variables;
  const declared = new DeclaredNames(variables.map((v) => v.name));

  issues.push(...unknownVariables(parsed, options.values));

  const resolved = new Map<string, string>();
  const secrets: string[] = [];
  variables.forEach((variable, index) => {
    const path = ['spec', 'variables', index];
    const value = options.values[variable.name] ?? variable.default;
    if (value === undefined) {
      if (variable.required) {
        add(
          IssueKind.MissingVariable,
          path,
          `required variable ${JSON.stringify(variable.name)} has no value and no default`,
        );
      }
      // An optional variable without a value expands to the empty string.
      resolved.set(variable.name, '');
      return;
    }
    if (variable.sensitive) secrets.push(value);
    // Parsing already refused patterns RE2 cannot compile; a version stored before that rule still can hold one.
    const compiled = variable.regex === undefined ? undefined : compileUserRegex(variable.regex);
    const verdict = compiled?.ok === true ? compiled.regex.matchWhole(value) : undefined;
    if (compiled !== undefined && !compiled.ok) {
      add(
        IssueKind.InvalidValue,
        [...path, 'regex'],
        `regex of variable ${JSON.stringify(variable.name)} is not a valid regular expression (${compiled.reason})`,
      );
    } else if (verdict === RegexVerdict.TooLong) {
      add(
        IssueKind.VariableMismatch,
        path,
        `variable ${JSON.stringify(variable.name)}: ${tooLongToMatch(value.length)}`,
      );
    } else if (verdict === RegexVerdict.Mismatch) {
      const shown = variable.sensitive ? 'a sensitive value (not shown)' : describeValue(value);
      add(
        IssueKind.VariableMismatch,
        path,
        `value of variable ${JSON.stringify(variable.name)} must match /${variable.regex ?? ''}/; got ${shown}`,
      );
    }
    resolved.set(variable.name, value);
  });

  const lookup = (macro: Macro): string => {
    switch (macro.kind) {
      case 'cluster-name':
        return options.clusterName;
      case 'profile-name':
        return profile.metadata.name;
      case 'profile-version':
        return profile.spec.version;
      case 'variable':
        return resolved.get(macro.name) ?? '';
      case 'unknown':
      case 'unclosed':
        return '';
    }
  };
  const expand = <T>(value: T): T => mapStrings(value, (text) => substituteMacros(text, lookup)) as T;
  // What a person is shown: the same expansion with `******` for each sensitive variable (Redactor.shownPack).
  const sensitive = new Set(variables.filter((v) => v.sensitive).map((v) => v.name));
  const shownLookup = (macro: Macro): string =>
    macro.kind === 'variable' && sensitive.has(macro.name) ? SENSITIVE_PLACEHOLDER : lookup(macro);
  const expandShown = <T>(value: T): T =>
    sensitive.size === 0
      ? expand(value)
      : (mapStrings(value, (text) => substituteMacros(text, shownLookup)) as T);
  /** Per pack name, its content before expansion: expanded for display only when a viewer asks. */
  const unexpanded = new Map<string, Record<string, unknown> | readonly KubeObject[]>();

  const packs = profile.spec.packs.map((pack, index): Pack => {
    const path = ['spec', 'packs', index];
    switch (pack.type) {
      case PackType.Helm:
        for (const p of checkMacrosIn(pack.values, { pack: pack.name, path: [...path, 'values'], declared }))
          add(p.kind, p.path, p.message);
        unexpanded.set(pack.name, pack.values);
        return { ...pack, values: expand(pack.values) };
      case PackType.Manifest: {
        for (const p of checkMacrosIn(pack.manifests, {
          pack: pack.name,
          path: [...path, 'manifests'],
          declared,
        }))
          add(p.kind, p.path, p.message);
        const fromFiles = pack.files.flatMap((file, fileIndex) => {
          const objects = options.fileManifests?.get(file);
          if (objects === undefined) {
            add(
              IssueKind.MissingFile,
              [...path, 'files', fileIndex],
              `file ${JSON.stringify(file)} was not loaded (pack ${JSON.stringify(pack.name)})`,
            );
            return [];
          }
          for (const p of checkMacrosIn(objects, {
            pack: pack.name,
            path: [...path, 'files', fileIndex],
            declared,
          }))
            add(p.kind, p.path, p.message);
          return objects;
        });
        const manifests = [...pack.manifests, ...fromFiles];
        unexpanded.set(pack.name, manifests);
        return { ...pack, manifests: expand(manifests) };
      }
    }
  });

  if (issues.length > 0) return { ok: false, issues: capIssues(issues) };
  return {
    ok: true,
    value: {
      name: profile.metadata.name,
      version: profile.spec.version,
      packs,
      redactor: new Redactor(secrets, (name) => {
        const content = unexpanded.get(name);
        return content === undefined ? undefined : expandShown(content);
      }),
    },
  };
}

/**
 * Unknown variables described one by one, at most; the rest are counted. A preview may name thousands (review
 * 14: 70,000 names made 70,000 issues, 59 MiB, and held the event loop 20 s), so no work is done per name past
 * these but a set lookup.
 */
export const MAX_UNKNOWN_SHOWN = 20;
/** A name shown in a message or path is cut past this: the API takes names of up to 253 characters. */
const MAX_NAME_SHOWN = 64;

const shownName = (name: string): string =>
  name.length > MAX_NAME_SHOWN ? `${name.slice(0, MAX_NAME_SHOWN)}…` : name;

function unknownVariables(
  parsed: ParsedProfile,
  values: Readonly<Record<string, string>>,
): readonly ProfileIssue[] {
  const { profile, source } = parsed;
  const declared = profile.spec.variables.map((v) => v.name);
  const known = new Set(declared);
  // One more than shown: capIssues puts its count of the rest at that one's place.
  const shown: string[] = [];
  let total = 0;
  for (const name of Object.keys(values)) {
    if (known.has(name)) continue;
    total++;
    if (shown.length <= MAX_UNKNOWN_SHOWN) shown.push(name);
  }
  if (total === 0) return [];
  const names = new DeclaredNames(declared, 'the profile declares no variables');
  const where = source.position(['spec', 'variables']);
  const made = shown.map((name): ProfileIssue => {
    const said = names.expected(name);
    const expected = said === undefined ? '' : `; ${said}`;
    return {
      ...where,
      kind: IssueKind.UnknownVariable,
      path: formatPath(['values', shownName(name)]),
      message: `unknown variable ${JSON.stringify(shownName(name))} for profile ${JSON.stringify(profile.metadata.name)}${expected}`,
    };
  });
  return capIssues(made, { limit: MAX_UNKNOWN_SHOWN, total });
}
