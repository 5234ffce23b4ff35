// Run as its own process with --expose-gc (as bin/strata runs the hub): checks one large upload in the upload
// checker's thread and prints, as JSON, this process's RSS before, at its peak during the check, and once the
// checker has ended the thread. upload-checker.test.ts reads it: what the thread's parse grew must not stay.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { UploadChecker } from '../upload-checker.js';

const rss = (): number =>
  Number(/Rss:\s+(\d+)/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1]) * 1024;

const lines = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata: { name: large }',
  'spec:',
  '  version: 1.0.0',
  '  type: add-on',
  '  packs:',
];
for (let p = 0; p < 25; p++) {
  lines.push(
    `    - name: p${p}`,
    '      layer: addon',
    '      version: 1.0.0',
    '      type: manifest',
    '      namespace: apps',
    '      manifests:',
  );
  for (let i = 0; i < 100; i++)
    lines.push(
      `        - { apiVersion: v1, kind: ConfigMap, metadata: { name: p${p}-${i} }, data: { i: "${i}" } }`,
    );
}
const yaml = `${lines.join('\n')}\n`;

const checker = new UploadChecker({ largeBytes: 64 * 1024 });
// A first, small check loads the thread's modules (kept: it is not large); its cost is not the parse's.
await checker.check({ shown: 'small.yaml', deny: [], yaml: lines.slice(0, 6).join('\n') });
const before = rss();
let peak = before;
const sampler = setInterval(() => {
  peak = Math.max(peak, rss());
}, 5);
const result = await checker.check({ shown: 'large.yaml', deny: [], yaml });
await checker.close();
await sleep(100);
clearInterval(sampler);
process.stdout.write(`${JSON.stringify({ kind: result.kind, before, peak, after: rss() })}\n`);
