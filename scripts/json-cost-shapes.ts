// Calibrates src/kube/json-cost.ts: for each shape of JSON, the heap JSON.parse keeps after GC against what
// the estimate says. `npx tsx --expose-gc scripts/json-cost-shapes.ts [file.json …]` prints one line per
// shape (8 MiB of each), then one per file given (e.g. a list page saved with `kubectl get --raw`). A ratio
// above 1 is heap the estimate does not see; the numbers behind the weights are in json-cost.ts.
import { readFileSync } from 'node:fs';
import { jsonCost } from '../src/kube/json-cost.js';

const MiB = 1024 * 1024;
const SIZE = 8 * MiB;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function joined(item: (i: number) => string): string {
  const parts: string[] = [];
  for (let i = 0, length = 0; length < SIZE; i++) {
    const text = item(i);
    parts.push(text);
    length += text.length + 1;
  }
  return parts.join(',');
}
const repeated = (unit: string) => () => `[${joined(() => unit)}]`;

const shapes: Record<string, () => string> = {
  'empty objects [{},…]': repeated('{}'),
  'empty arrays [[],…]': repeated('[]'),
  'nested arrays [[[…]]]': () => '['.repeat(SIZE / 2) + ']'.repeat(SIZE / 2),
  'numbers [0,…]': repeated('0'),
  'small objects [{"a":0},…]': repeated('{"a":0}'),
  'objects of objects [{"a":{}},…]': repeated('{"a":{}}'),
  'distinct strings ["a","b",…]': () => `[${joined((i) => `"${i.toString(36)}"`)}]`,
  'distinct keys {"a":0,"b":0,…}': () => `{${joined((i) => `"${i.toString(36)}":0`)}}`,
  'one distinct key each [{"a":0},{"b":0},…]': () => `[${joined((i) => `{"${i.toString(36)}":0}`)}]`,
};

const kept: unknown[] = [];

function measure(label: string, text: string): void {
  const flat = Buffer.from(text);
  const estimate = jsonCost(flat);
  const source = flat.toString('utf8');
  kept.push(source); // the text stays alive through both measurements: only the parsed value is counted
  gc?.();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  kept.push(JSON.parse(source));
  gc?.();
  gc?.();
  const heap = process.memoryUsage().heapUsed - before;
  kept.length = 0;
  const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
  console.log(
    `${label.padEnd(44)} ${mib(flat.length).padStart(9)} of JSON: kept ${mib(heap).padStart(9)}, estimated ${mib(estimate).padStart(9)}, kept/estimate ${(heap / estimate).toFixed(2)}`,
  );
}

for (const [label, make] of Object.entries(shapes)) measure(label, make());
for (const file of process.argv.slice(2)) measure(file, readFileSync(file, 'utf8'));
