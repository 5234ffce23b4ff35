// Turns zod issues into positioned, human issues: "expected …; got …", unknown fields with "did you mean",
// missing fields on the mapping that lacks them. Zod's own messages are written for developers; ours name the
// field and the value the user wrote.
import * as z from 'zod';
import { describeValue, SENSITIVE_PLACEHOLDER, valueAt } from './describe.js';
import { isRecord } from '../shared/guards.js';
import { suggest } from '../shared/did-you-mean.js';
import { IssueKind, type ProfileIssue } from './errors.js';
import { formatPath, type FieldPath } from './model.js';
import type { ProfileSource } from './source.js';

type ZodIssue = z.core.$ZodIssue;

export interface TranslateOptions {
  readonly schema: z.ZodType;
  readonly input: unknown;
  readonly source: ProfileSource;
  /** Values at these paths are sensitive and are never shown. */
  readonly isSensitive?: (path: FieldPath) => boolean;
}

export function translateZodIssues(issues: readonly ZodIssue[], options: TranslateOptions): ProfileIssue[] {
  return issues.flatMap((issue) => translate(issue, [], options));
}

function translate(issue: ZodIssue, prefix: FieldPath, options: TranslateOptions): ProfileIssue[] {
  const path: FieldPath = [...prefix, ...(issue.path as (string | number)[])];
  const got = (): string =>
    options.isSensitive?.(path) === true
      ? SENSITIVE_PLACEHOLDER
      : describeValue(valueAt(options.input, path));
  const at = (
    kind: ProfileIssue['kind'],
    message: string,
    where: FieldPath = path,
    key = false,
  ): ProfileIssue => ({
    ...options.source.position(where, { key }),
    kind,
    path: formatPath(path),
    message,
  });

  switch (issue.code) {
    case 'invalid_type': {
      const value = valueAt(options.input, path);
      const parent = valueAt(options.input, path.slice(0, -1));
      if (value === undefined && isRecord(parent)) {
        return [
          at(IssueKind.MissingField, `required field missing; expected ${expectedType(issue.expected)}`),
        ];
      }
      const expected = issue.message.startsWith('expected')
        ? issue.message
        : `expected ${expectedType(issue.expected)}`;
      return [at(IssueKind.Type, `${expected}; got ${got()}`)];
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const value = valueAt(options.input, path);
      const hint = typeof value === 'string' ? suggest(value, values) : undefined;
      const expected = values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.join(', ')}`;
      const didYouMean = hint === undefined ? '' : ` (did you mean ${JSON.stringify(hint)}?)`;
      if (value === undefined && isRecord(valueAt(options.input, path.slice(0, -1)))) {
        return [at(IssueKind.MissingField, `required field missing; expected ${expected}`)];
      }
      return [at(IssueKind.InvalidValue, `expected ${expected}; got ${got()}${didYouMean}`)];
    }
    case 'unrecognized_keys': {
      const known = knownKeysAt(options.schema, path, options.input);
      return issue.keys.map((key) => {
        const hint = suggest(key, known);
        const message =
          hint === undefined
            ? `unknown field; expected one of ${known.join(', ')}`
            : `unknown field; did you mean ${JSON.stringify(hint)}?`;
        return {
          ...at(IssueKind.UnknownField, message, [...path, key], true),
          path: formatPath([...path, key]),
        };
      });
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined && 'options' in issue && issue.options !== undefined) {
        return discriminatorIssues(issue.discriminator, issue.options.map(String), path, options);
      }
      if (issue.errors.length === 0) return [at(IssueKind.Type, `matches more than one form; got ${got()}`)];
      // Pick the branch that got past the type check: its issues are the precise ones.
      const typed = issue.errors.filter(
        (branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0),
      );
      const chosen = typed[0];
      if (chosen !== undefined) return chosen.flatMap((inner) => translate(inner, path, options));
      const expected = issue.errors.flatMap((branch) =>
        branch.flatMap((i) => (i.code === 'invalid_type' ? [expectedType(i.expected)] : [])),
      );
      const value = valueAt(options.input, path);
      if (value === undefined && isRecord(valueAt(options.input, path.slice(0, -1)))) {
        return [
          at(
            IssueKind.MissingField,
            `required field missing; expected ${[...new Set(expected)].join(' or ')}`,
          ),
        ];
      }
      return [at(IssueKind.Type, `expected ${[...new Set(expected)].join(' or ')}; got ${got()}`)];
    }
    case 'too_small':
    case 'too_big': {
      const bound = String(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : '';
      const expected = issue.message.startsWith('expected')
        ? issue.message
        : `expected ${word} ${bound}${unit}`;
      return [at(IssueKind.InvalidValue, `${expected}; got ${got()}`)];
    }
    case 'invalid_format':
    case 'custom':
    case 'not_multiple_of':
    case 'invalid_key':
    case 'invalid_element': {
      const expected = issue.message.startsWith('expected')
        ? issue.message
        : `expected a valid value (${issue.message})`;
      return [at(IssueKind.InvalidValue, `${expected}; got ${got()}`)];
    }
    default:
      return assertNeverIssue(issue);
  }
}

/**
 * A bad or missing `type` on a pack: say which types exist, and still check the other fields against the
 * closest form, so the user sees every problem at once.
 */
function discriminatorIssues(
  discriminator: string,
  values: readonly string[],
  path: FieldPath,
  options: TranslateOptions,
): ProfileIssue[] {
  const value = valueAt(options.input, path);
  const hint = typeof value === 'string' ? suggest(value, values) : undefined;
  const expected = `expected one of ${values.join(', ')}`;
  const message =
    value === undefined
      ? `required field missing; ${expected}`
      : `${expected}; got ${describeValue(value)}${hint === undefined ? '' : ` (did you mean ${JSON.stringify(hint)}?)`}`;
  const first: ProfileIssue = {
    ...options.source.position(path),
    kind: value === undefined ? IssueKind.MissingField : IssueKind.InvalidValue,
    path: formatPath(path),
    message,
  };
  const parentPath = path.slice(0, -1);
  const parent = valueAt(options.input, parentPath);
  const union = schemaAt(options.schema, parentPath, options.input, { unwrapUnions: false });
  if (!isRecord(parent) || !(union instanceof z.ZodUnion)) return [first];
  let best: readonly ZodIssue[] | undefined;
  for (const option of union.options as readonly z.ZodType[]) {
    if (!(option instanceof z.ZodObject)) continue;
    const literal = (option.shape as Record<string, z.ZodType>)[discriminator];
    const candidate = values.find((v) => literal?.safeParse(v).success === true);
    const result = option.safeParse({ ...parent, [discriminator]: candidate });
    const found = result.success ? [] : result.error.issues;
    if (best === undefined || found.length < best.length) best = found;
  }
  return [first, ...(best ?? []).flatMap((inner) => translate(inner, parentPath, options))];
}

function assertNeverIssue(issue: never): never {
  throw new Error(`unhandled zod issue ${JSON.stringify(issue)}`);
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

function expectedType(expected: string): string {
  return TYPE_WORDS[expected] ?? expected;
}

/** The field names the schema accepts at `path`, for "did you mean" and "expected one of". */
export function knownKeysAt(schema: z.ZodType, path: FieldPath, input: unknown): string[] {
  const node = schemaAt(schema, path, input, { unwrapUnions: true });
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

/** The schema that applies at `path`, choosing union options by the input found there. */
function schemaAt(
  schema: z.ZodType,
  path: FieldPath,
  input: unknown,
  options: { unwrapUnions: boolean },
): z.ZodType | undefined {
  let node: z.ZodType | undefined = schema;
  for (let i = 0; i <= path.length && node !== undefined; i++) {
    if (i === path.length)
      return options.unwrapUnions ? unwrap(node, valueAt(input, path)) : unwrapOptional(node);
    node = unwrap(node, valueAt(input, path.slice(0, i)));
    const segment = path[i];
    if (node instanceof z.ZodObject) node = (node.shape as Record<string, z.ZodType>)[String(segment)];
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else if (node instanceof z.ZodRecord) node = node.valueType as z.ZodType;
    else node = undefined;
  }
  return node;
}

function unwrapOptional(schema: z.ZodType): z.ZodType {
  let node = schema;
  while (node instanceof z.ZodOptional || node instanceof z.ZodNullable || node instanceof z.ZodDefault) {
    node = node.unwrap() as z.ZodType;
  }
  return node;
}

/** Strip optional wrappers; pick the union option that fits `value` (by discriminator, else the object one). */
function unwrap(schema: z.ZodType, value: unknown): z.ZodType {
  let node = schema;
  for (;;) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodNullable || node instanceof z.ZodDefault) {
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodUnion) {
      const options = node.options as readonly z.ZodType[];
      const discriminator = node instanceof z.ZodDiscriminatedUnion ? node.def.discriminator : undefined;
      const fits = options.find((option) => option.safeParse(value).success);
      const discriminated =
        discriminator !== undefined && isRecord(value)
          ? options.find(
              (option) =>
                option instanceof z.ZodObject &&
                (option.shape as Record<string, z.ZodType>)[discriminator]?.safeParse(value[discriminator])
                  .success === true,
            )
          : undefined;
      const objectLike = options.find(
        (option) => option instanceof z.ZodObject || option instanceof z.ZodArray,
      );
      const next =
        fits ?? discriminated ?? (isRecord(value) || Array.isArray(value) ? objectLike : undefined);
      if (next === undefined) return node;
      node = next;
    } else {
      return node;
    }
  }
}
