// A sensitive variable takes no `default` (normalize.ts refuses one). A version stored before that rule may
// still hold one in its source: the hub keeps the source as written (nothing stored is rewritten or lost) and
// shows it, in the API and the bundle, with each such default replaced by the placeholder errors print.
import { isMap, isScalar, isSeq, parseAllDocuments, type Node } from 'yaml';
import { SENSITIVE_PLACEHOLDER } from './describe.js';

/**
 * `source` with the value of every `spec.variables[].default` whose variable says `sensitive: true` replaced by
 * `"******"`, everything else byte for byte (comments, layout, the other documents). Text that does not parse
 * is returned as it is: a stored version parsed when it was accepted.
 */
export function maskSensitiveDefaults(source: string): string {
  const cuts: [start: number, end: number][] = [];
  const docs = parseAllDocuments(source);
  for (const doc of docs) {
    for (const value of sensitiveDefaults(doc)) if (value.range) cuts.push([value.range[0], value.range[1]]);
  }
  if (cuts.length === 0) return source;
  let masked = source;
  for (const [start, end] of cuts.sort((a, b) => b[0] - a[0])) {
    masked = `${masked.slice(0, start)}${JSON.stringify(SENSITIVE_PLACEHOLDER)}${masked.slice(end)}`;
  }
  if (maskedEverywhere(masked, cuts.length)) return masked;
  // A value written so that its place cannot simply be overwritten (a block scalar, an alias): each document
  // is written anew with the placeholder, comments kept, the layout yaml's.
  return docs
    .map((doc) => {
      for (const value of sensitiveDefaults(doc)) {
        const placeholder = doc.createNode(SENSITIVE_PLACEHOLDER);
        Object.assign(value, { value: placeholder.value, type: 'QUOTE_DOUBLE', range: undefined });
      }
      return doc.toString();
    })
    .join('');
}

/** The `default` value nodes of the sensitive variables of one document. */
function sensitiveDefaults(doc: ReturnType<typeof parseAllDocuments>[number]): Node[] {
  if (!('contents' in doc) || doc.errors.length > 0) return [];
  const variables = at(at(doc.contents, 'spec'), 'variables');
  if (!isSeq(variables)) return [];
  return variables.items.flatMap((variable) => {
    const sensitive = at(variable, 'sensitive');
    if (!isScalar(sensitive) || sensitive.value !== true) return [];
    const value = at(variable, 'default');
    return value === undefined ? [] : [value];
  });
}

/** Whether every sensitive default of `text` reads as the placeholder now. */
function maskedEverywhere(text: string, expected: number): boolean {
  const values = parseAllDocuments(text).flatMap((doc) =>
    'errors' in doc && doc.errors.length > 0 ? [undefined] : sensitiveDefaults(doc),
  );
  return values.length === expected && values.every((v) => isScalar(v) && v.value === SENSITIVE_PLACEHOLDER);
}

function at(node: unknown, key: string): Node | undefined {
  if (!isMap(node)) return undefined;
  const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
  return pair?.value === null ? undefined : (pair?.value as Node | undefined);
}
