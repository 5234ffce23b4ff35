// The upload checker's queue is bounded: each waiting upload holds its body (up to 21 MiB), and any viewer
// can send one to /profiles/validate.
import { afterAll, describe, expect, it } from 'vitest';
import { UploadChecker, UploadCheckerBusy } from './upload-checker.js';

const checker = new UploadChecker({ concurrency: 1, maxWaiting: 1, idleMs: 100 });

afterAll(() => checker.close());

const profile = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata: { name: p }',
  'spec:',
  '  version: 1.0.0',
  '  packs:',
  '    - { name: a, layer: addon, version: 1.0.0, type: manifests, manifests: [{ apiVersion: v1, kind: ConfigMap, metadata: { name: c } }] }',
  '',
].join('\n');

describe('UploadChecker', () => {
  it('refuses an upload at once when every thread is busy and the queue is full, and checks the others', async () => {
    const input = { shown: 'p.yaml', deny: [], yaml: profile };
    const first = checker.check(input);
    const second = checker.check(input);
    const third = checker.check(input).then(
      () => 'checked',
      (error: unknown) => error,
    );
    expect(await third).toBeInstanceOf(UploadCheckerBusy);
    expect(String(await third)).toContain('1 uploads are being checked and 1 wait');
    expect(await first).toHaveProperty('kind');
    expect(await second).toHaveProperty('kind');
    // Once the queue drains, uploads are taken again.
    expect(await checker.check(input)).toHaveProperty('kind');
  });

  it('ends the thread that checked a large upload at once, so its heap is not kept while idle', async () => {
    const small = new UploadChecker({ largeBytes: 64 * 1024 });
    try {
      await small.check({ shown: 'p.yaml', deny: [], yaml: profile });
      expect(small.idleThreads).toBe(1);
      const large = `${profile}${'# padding\n'.repeat(8 * 1024)}`;
      await small.check({ shown: 'p.yaml', deny: [], yaml: large });
      expect(small.idleThreads).toBe(0);
    } finally {
      await small.close();
    }
  });
});
