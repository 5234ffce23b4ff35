// Static macro checks, run at parse time and again at resolve time: every `{{ .strata.* }}` must be a known
// macro, and every `{{ .strata.var.NAME }}` must name a declared variable.
import { suggest } from '../shared/did-you-mean.js';
import { IssueKind } from './errors.js';
import { describeUnknownMacro, findMacros, forEachString } from './macros.js';
import { PackType } from './schema.js';
import type { ClusterProfile, FieldPath, Pack } from './model.js';
import { describeLimit, type LimitHit } from './walk.js';

export interface MacroProblem {
  readonly kind: typeof IssueKind.UnknownMacro | typeof IssueKind.UnknownVariable | typeof IssueKind.Yaml;
  readonly path: FieldPath;
  readonly message: string;
}

/** The fields of a pack where macros are expanded, with their path relative to the pack. */
export function macroFields(pack: Pack): { path: FieldPath; value: unknown }[] {
  switch (pack.type) {
    case PackType.Helm:
      return [{ path: ['values'], value: pack.values }];
    case PackType.Manifest:
      return [{ path: ['manifests'], value: pack.manifests }];
  }
}

/** Declared names listed, at most, where an unknown variable has no declared name close to it. */
const MAX_DECLARED_SHOWN = 20;

/**
 * A profile's declared variables as its unknown-variable issues state them: a close name as a suggestion, else
 * the list, once (in the first issue that has no suggestion) and at most MAX_DECLARED_SHOWN names of it. Each
 * of up to 101 issues repeating a list of 1,000 names made an answer of megabytes.
 */
export class DeclaredNames {
  private listed = false;

  constructor(
    readonly names: readonly string[],
    /** Said in place of the list when nothing is declared. */
    private readonly none = 'the profile declares no spec.variables',
  ) {}

  /** What the issue about unknown `name` ends with: a suggestion, the list the first time, or undefined. */
  expected(name: string): string | undefined {
    const hint = suggest(name, this.names);
    if (hint !== undefined) return `did you mean ${JSON.stringify(hint)}?`;
    if (this.listed) return undefined;
    this.listed = true;
    if (this.names.length === 0) return this.none;
    const more = this.names.length - MAX_DECLARED_SHOWN;
    return `declared: ${this.names.slice(0, MAX_DECLARED_SHOWN).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  }
}

export function checkMacros(profile: ClusterProfile): MacroProblem[] {
  const declared = new DeclaredNames(profile.spec.variables.map((variable) => variable.name));
  const problems: MacroProblem[] = [];
  profile.spec.packs.forEach((pack, index) => {
    for (const field of macroFields(pack)) {
      problems.push(
        ...checkMacrosIn(field.value, {
          pack: pack.name,
          path: ['spec', 'packs', index, ...field.path],
          declared,
        }),
      );
    }
  });
  return problems;
}

export function checkMacrosIn(
  value: unknown,
  options: { pack: string; path: FieldPath; declared: DeclaredNames },
): MacroProblem[] {
  const problems: MacroProblem[] = [];
  const onLimit = (hit: LimitHit): void => {
    problems.push({
      kind: IssueKind.Yaml,
      path: [...options.path, ...hit.path],
      message: `${describeLimit(hit.limit)} (pack ${JSON.stringify(options.pack)})`,
    });
  };
  forEachString(
    value,
    (text, subPath) => {
      const path = [...options.path, ...subPath];
      for (const match of findMacros(text)) {
        if (match.macro.kind === 'unclosed') {
          problems.push({
            kind: IssueKind.UnknownMacro,
            path,
            message: `unclosed macro ${JSON.stringify(match.text)}; expected }} to close it (pack ${JSON.stringify(options.pack)})`,
          });
        } else if (match.macro.kind === 'unknown') {
          problems.push({
            kind: IssueKind.UnknownMacro,
            path,
            message: `${describeUnknownMacro(match)} (pack ${JSON.stringify(options.pack)})`,
          });
        } else if (match.macro.kind === 'variable' && !options.declared.names.includes(match.macro.name)) {
          const expected = options.declared.expected(match.macro.name);
          problems.push({
            kind: IssueKind.UnknownVariable,
            path,
            message: `unknown variable ${JSON.stringify(match.macro.name)} in ${match.text} (pack ${JSON.stringify(options.pack)})${expected === undefined ? '' : `; ${expected}`}`,
          });
        }
      }
    },
    { onLimit },
  );
  return problems;
}
