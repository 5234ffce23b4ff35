// What JSON text costs the hub once JSON.parse has built it, estimated from the text in one pass before it is
// parsed (review 19, item 2). The bytes of an answer do not bound its heap: `[{},{},…]` is 3 bytes of text per
// object, and each object is ~56 bytes of V8 heap, so 16 MiB of it kept +342 MiB after GC and froze the event
// loop for 6-40 s; gzip'd, that page was 16 KiB on the wire.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * Heap bytes per `{` or `[` and per `,` or `:` outside strings, on top of one per byte of text. Measured with
 * Node 24 (V8, no pointer compression): heap kept after GC by JSON.parse of 8 MiB of each shape against this
 * estimate (`npx tsx --expose-gc scripts/json-cost-shapes.ts` prints the table):
 * - an empty object is 56 bytes and each slot that holds a value 8: `[{},…]` keeps 0.96 of the estimate,
 *   `[[[…]]]` 0.97, `[[],…]` 0.60, `[0,…]` 0.80, `[{"a":0},…]` 0.50;
 * - what costs V8 more than its tokens is distinct keys and short distinct strings (each a hidden class or an
 *   internalized string of its own): 2.1-3.4 times the estimate for text made only of them
 *   (`["a","b",…]`, `{"a":0,"b":0,…}`, `[{"a":0},{"b":0},…]`), at 5-17 bytes of heap per byte of text;
 * - real objects share their keys and hidden classes: a page of 500 Pods from the testenv control plane (two
 *   containers, probes, env, managedFields; 3.5 MiB) is estimated at 12.4 MiB and parses into 7.5 MiB (0.60);
 *   kube-prometheus' largest CRD (alertmanagerconfigs, 0.7 MiB) at 1.2 MiB for 0.8 MiB (0.70).
 */
export const HEAP_BYTES_PER_OPEN = 56;
export const HEAP_BYTES_PER_SEPARATOR = 8;

/**
 * Counts, in chunks as they arrive, the structure of a JSON text: each byte is looked at once, strings are
 * skipped (a `{` inside a string builds nothing). Malformed text gets an estimate too; JSON.parse refuses it
 * later.
 */
export class JsonCost {
  private bytes = 0;
  private opens = 0;
  private separators = 0;
  private inString = false;
  private escaped = false;

  add(chunk: Uint8Array): this {
    let { inString, escaped, opens, separators } = this;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      if (inString) {
        // Jump to the next quote; only the backslashes right before it can escape it.
        if (escaped) {
          escaped = false;
          continue;
        }
        const quote = chunk.indexOf(QUOTE, i);
        if (quote < 0) {
          let run = 0;
          while (run < n - i && chunk[n - 1 - run] === BACKSLASH) run++;
          escaped = run % 2 === 1;
          break;
        }
        let run = 0;
        while (quote - 1 - run >= i && chunk[quote - 1 - run] === BACKSLASH) run++;
        i = quote;
        if (run % 2 === 0) inString = false;
        continue;
      }
      const c = chunk[i];
      if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) opens++;
      else if (c === COMMA || c === COLON) separators++;
    }
    this.inString = inString;
    this.escaped = escaped;
    this.opens = opens;
    this.separators = separators;
    this.bytes += n;
    return this;
  }

  /** The heap JSON.parse builds from the text added so far, in bytes (an estimate; see the weights above). */
  get estimate(): number {
    return this.bytes + HEAP_BYTES_PER_OPEN * this.opens + HEAP_BYTES_PER_SEPARATOR * this.separators;
  }
}

/** The estimate for one whole text. */
export function jsonCost(text: Uint8Array): number {
  return new JsonCost().add(text).estimate;
}
