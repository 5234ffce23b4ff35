import { describe, expect, it } from 'vitest';
import { StoreErrorCode } from '../errors.js';
import { SqliteBackend, type TestBackend } from '../testing/backends.js';
import { kubeconfig, newKey } from '../testing/fixtures.js';
import { expectStoreError } from './expect-error.js';

export function clusterCases(env: TestBackend): void {
  describe('clusters', () => {
    it('registers, reads, lists, updates and deletes a cluster', async () => {
      const { store } = await env.open();
      const created = await store.clusters.create({
        name: 'prod-eu',
        kubeconfig: kubeconfig('s3cret'),
        context: 'admin@c',
      });
      expect(created).toMatchObject({ name: 'prod-eu', driftPolicy: 'correct' });
      await store.clusters.create({ name: 'dev', kubeconfig: kubeconfig('x'), driftPolicy: 'report' });

      expect(await store.clusters.get('prod-eu')).toEqual(created);
      expect(await store.clusters.get('nope')).toBeUndefined();
      expect((await store.clusters.list()).map((c) => c.name)).toEqual(['dev', 'prod-eu']);

      const updated = await store.clusters.update('prod-eu', { driftPolicy: 'report' });
      expect(updated.driftPolicy).toBe('report');
      expect(updated.createdAt).toBe(created.createdAt);
      expect((await store.clusters.get('prod-eu'))?.driftPolicy).toBe('report');

      await store.clusters.delete('prod-eu');
      expect(await store.clusters.get('prod-eu')).toBeUndefined();
      await expectStoreError(store.clusters.delete('prod-eu'), StoreErrorCode.NotFound);
      await expectStoreError(store.clusters.update('prod-eu', {}), StoreErrorCode.NotFound);
    });

    it('returns the kubeconfig only through getCredentials', async () => {
      const { store } = await env.open();
      const created = await store.clusters.create({
        name: 'c1',
        kubeconfig: kubeconfig('tok-1'),
        context: 'admin@c',
      });
      for (const record of [created, await store.clusters.get('c1'), ...(await store.clusters.list())]) {
        expect(Object.keys(record ?? {}).sort()).toEqual([
          'createdAt',
          'driftPolicy',
          'id',
          'name',
          'updatedAt',
        ]);
        expect(JSON.stringify(record)).not.toContain('tok-1');
      }
      expect(await store.clusters.getCredentials('c1')).toEqual({
        kubeconfig: kubeconfig('tok-1'),
        context: 'admin@c',
      });

      await store.clusters.update('c1', { credentials: { kubeconfig: kubeconfig('tok-2') } });
      expect(await store.clusters.getCredentials('c1')).toEqual({ kubeconfig: kubeconfig('tok-2') });
      await expectStoreError(store.clusters.getCredentials('nope'), StoreErrorCode.NotFound);
    });

    it('refuses duplicate and invalid names and unknown drift policies with typed codes', async () => {
      const { store } = await env.open();
      await store.clusters.create({ name: 'a', kubeconfig: 'k' });
      const dup = await expectStoreError(
        store.clusters.create({ name: 'a', kubeconfig: 'k' }),
        StoreErrorCode.ClusterExists,
      );
      expect(dup.entity).toBe('cluster');
      for (const name of ['', 'Upper', '-lead', 'trail-', 'dots.not.allowed', 'x'.repeat(64)]) {
        await expectStoreError(store.clusters.create({ name, kubeconfig: 'k' }), StoreErrorCode.InvalidInput);
      }
      await expectStoreError(
        store.clusters.create({ name: 'b', kubeconfig: 'k', driftPolicy: 'ignore' as 'report' }),
        StoreErrorCode.InvalidInput,
      );
      expect((await store.clusters.list()).map((c) => c.name)).toEqual(['a']);
    });

    it('stores the kubeconfig and context encrypted: the plaintext is nowhere in the database', async () => {
      const { store, url } = await env.open();
      await store.clusters.create({
        name: 'c1',
        kubeconfig: kubeconfig('PLAINTEXT-TOKEN-42'),
        context: 'CTX-NAME-42',
      });
      const rows = await env.query(url, 'select * from clusters');
      expect(rows).toHaveLength(1);
      const raw = JSON.stringify(rows);
      expect(raw).not.toContain('PLAINTEXT-TOKEN-42');
      expect(raw).not.toContain('CTX-NAME-42');
      expect(String(rows[0]?.credentials)).toMatch(/^v1\.[0-9a-f]{16}\./);
      if (env instanceof SqliteBackend) {
        const bytes = await env.rawBytes(url);
        expect(bytes.length).toBeGreaterThan(0);
        expect(bytes.includes('PLAINTEXT-TOKEN-42')).toBe(false);
        expect(bytes.includes('CTX-NAME-42')).toBe(false);
      }
    });

    it('refuses to open with the wrong key, and names both keys', async () => {
      const opened = await env.open();
      await opened.store.clusters.create({ name: 'c1', kubeconfig: 'k' });
      await opened.store.close();
      const error = await expectStoreError(
        env.open({ url: opened.url, secretKey: newKey() }),
        StoreErrorCode.SecretKeyMismatch,
      );
      expect(error.message).toMatch(/STRATA_SECRET_KEY/);
      // The right key still works.
      const again = await env.open({ url: opened.url, secretKey: opened.key });
      expect((await again.store.clusters.getCredentials('c1')).kubeconfig).toBe('k');
    });

    it('detects credentials moved from one cluster row to another', async () => {
      const { store, url } = await env.open();
      await store.clusters.create({ name: 'a', kubeconfig: 'kubeconfig of a' });
      await store.clusters.create({ name: 'b', kubeconfig: 'kubeconfig of b' });
      // Someone with database access copies a's sealed credentials onto b.
      await env.query(
        url,
        "update clusters set credentials = (select credentials from clusters where name = 'a') where name = 'b'",
      );
      await expectStoreError(store.clusters.getCredentials('b'), StoreErrorCode.SecretCorrupt);
      expect((await store.clusters.getCredentials('a')).kubeconfig).toBe('kubeconfig of a');
    });
  });
}
