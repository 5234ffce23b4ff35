// JSON bodies are parsed by JSON.parse, which recurses once per nesting level: a 2 MiB body of `[[[[…` is a
// million levels deep, and every walker after the parser (zod, the macro expander, the store's JSON columns)
// would recurse as deep. No Strata document is more than a few levels deep, so bodies past MAX_JSON_DEPTH are
// refused before they are parsed, by one linear scan that needs no recursion itself.

export const MAX_JSON_DEPTH = 64;

/**
 * The offset of the first `[` or `{` that opens level `limit + 1`, or undefined when the text never nests that
 * deep. Brackets inside strings (with their escapes) do not count; the text need not be valid JSON.
 */
export function depthExceededAt(text: string, limit: number = MAX_JSON_DEPTH): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > limit) return i;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return undefined;
}
