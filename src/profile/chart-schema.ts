// What a chart's values.schema.json may refer to. `helm template` (3.22) validates the values against each
// chart's and subchart's values.schema.json, with a loader that fetches any http(s) URL and opens any file a
// `$ref` (or a `$schema` that is not a draft it knows) names, outside the hub's outbound policy, and its errors
// echo what it read. Strata keeps helm's validation (charts rely on it: their schemas type and default
// values) and refuses, at publish and again before each render, any schema that would load something: every
// reference must point inside the schema itself (`#…`), and `$schema` must name a draft helm's validator has
// built in (santhosh-tekuri/jsonschema v6: draft 4, 6, 7, 2019-09, 2020-12).

/** The keywords whose value is a URI reference that the validator resolves, and loads when not `#…`. */
const REFERENCE_KEYWORDS = ['$ref', '$dynamicRef', '$recursiveRef'] as const;

/** The metaschemas the validator has built in (http or https, with or without an empty fragment). */
const BUILT_IN_DRAFTS = new Set([
  'json-schema.org/schema',
  'json-schema.org/draft/2020-12/schema',
  'json-schema.org/draft/2019-09/schema',
  'json-schema.org/draft-07/schema',
  'json-schema.org/draft-06/schema',
  'json-schema.org/draft-04/schema',
]);

/** Nesting deeper than this is refused rather than walked (JSON.parse itself stops far deeper). */
const MAX_DEPTH = 256;

const shown = (value: string) => JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);

/** A JSON Pointer token (RFC 6901). */
const pointerToken = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

function builtInDraft(uri: string): boolean {
  const bare = uri.replace(/^https?:\/\//, '').replace(/#$/, '');
  return /^https?:\/\//.test(uri) && BUILT_IN_DRAFTS.has(bare);
}

/**
 * Why a values.schema.json would make helm load something from outside it, or undefined when it would not.
 * `file` names the schema in the message (its path in the chart archive).
 */
export function valuesSchemaProblem(file: string, content: Buffer): string | undefined {
  let schema: unknown;
  try {
    schema = JSON.parse(content.toString('utf8'));
  } catch (error) {
    return `${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  const walk = (node: unknown, at: string, depth: number): string | undefined => {
    if (node === null || typeof node !== 'object') return undefined;
    if (depth > MAX_DEPTH) return `${file} nests deeper than ${MAX_DEPTH} levels at ${at}`;
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) {
        const problem = walk(item, `${at}/${i}`, depth + 1);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    for (const [key, value] of Object.entries(node)) {
      const where = `${at}/${pointerToken(key)}`;
      if (typeof value === 'string') {
        if ((REFERENCE_KEYWORDS as readonly string[]).includes(key) && !value.startsWith('#'))
          return (
            `${file}: "${key}" at ${at === '' ? '/' : at} is ${shown(value)}; a values schema may only refer ` +
            `inside itself ("#…"): helm would fetch that URL or open that file when rendering`
          );
        if (key === '$schema' && !builtInDraft(value))
          return (
            `${file}: "$schema" at ${at === '' ? '/' : at} is ${shown(value)}; it must name a JSON Schema ` +
            `draft helm has built in (draft-04, -06, -07, 2019-09 or 2020-12 at json-schema.org): helm would ` +
            `fetch any other`
          );
        continue;
      }
      const problem = walk(value, where, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  };
  return walk(schema, '', 0);
}
