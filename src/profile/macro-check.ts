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

export function checkMacros(profile: ClusterProfile): MacroProblem[] {
  const declared = profile.spec.variables.map((variable) => variable.name);
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
  options: { pack: string; path: FieldPath; declared: readonly string[] },
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
        } else if (match.macro.kind === 'variable' && !options.declared.includes(match.macro.name)) {
          const hint = suggest(match.macro.name, options.declared);
          const expected =
            hint !== undefined
              ? `did you mean ${JSON.stringify(hint)}?`
              : options.declared.length === 0
                ? 'the profile declares no spec.variables'
                : `declared: ${options.declared.join(', ')}`;
          problems.push({
            kind: IssueKind.UnknownVariable,
            path,
            message: `unknown variable ${JSON.stringify(match.macro.name)} in ${match.text} (pack ${JSON.stringify(options.pack)}); ${expected}`,
          });
        }
      }
    },
    { onLimit },
  );
  return problems;
}
