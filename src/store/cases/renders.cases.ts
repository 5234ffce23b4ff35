import { describe, expect, it } from 'vitest';
import { StoreErrorCode } from '../errors.js';
import type { TestBackend } from '../testing/backends.js';
import { expectStoreError } from './expect-error.js';

const manifest = (password: string) =>
  `---\n# Source: db/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${password}\n`;

export function renderCases(env: TestBackend): void {
  const KEY_ONE = 'values-digest-of-revision-one';

  describe('renders (migration 0003)', () => {
    it('keeps one rendering per cluster and pack, sealed on disk, replaced by the next revision', async () => {
      const { store, url } = await env.open();
      await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
      await store.clusters.create({ name: 'stage', kubeconfig: 'k' });
      expect(await store.renders.get('prod', 'db')).toBeUndefined();

      await store.renders.put('prod', 'db', {
        key: KEY_ONE,
        manifest: manifest('RANDOM-PW-1'),
        kubeVersion: 'v1.34.1',
      });
      await store.renders.put('stage', 'db', { key: KEY_ONE, manifest: manifest('RANDOM-PW-2') });
      expect(await store.renders.get('prod', 'db')).toMatchObject({
        key: KEY_ONE,
        manifest: manifest('RANDOM-PW-1'),
        kubeVersion: 'v1.34.1',
      });
      expect(await store.renders.get('stage', 'db')).toMatchObject({
        key: KEY_ONE,
        manifest: manifest('RANDOM-PW-2'),
      });
      expect((await store.renders.get('stage', 'db'))?.kubeVersion).toBeUndefined();

      // Nothing of a rendering, nor the digest of its values, is readable in the database.
      const raw = JSON.stringify(await env.query(url, 'select * from renders'));
      expect(raw).not.toContain('RANDOM-PW');
      // A long key: a short one like `k1` turns up in random ciphertext by chance (~5% of runs).
      expect(raw).not.toContain(KEY_ONE);

      await store.renders.put('prod', 'db', { key: 'k2', manifest: manifest('RANDOM-PW-3') });
      expect(await store.renders.get('prod', 'db')).toMatchObject({
        key: 'k2',
        manifest: manifest('RANDOM-PW-3'),
      });
      expect(await store.renders.stats()).toEqual({
        count: 2,
        size: manifest('RANDOM-PW-3').length + manifest('RANDOM-PW-2').length,
      });

      await store.renders.forget('prod', 'db');
      await store.renders.forget('prod', 'never-stored');
      expect(await store.renders.get('prod', 'db')).toBeUndefined();
      expect(await store.renders.get('stage', 'db')).toBeDefined();
    });

    it('survives a reopen, goes with its cluster, and does not open on another row', async () => {
      const { store, url, key } = await env.open();
      await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
      await store.renders.put('prod', 'db', { key: 'k1', manifest: manifest('PW') });
      await store.renders.put('prod', 'cache', { key: 'k9', manifest: manifest('OTHER') });
      await store.close();

      const reopened = (await env.open({ url, secretKey: key })).store;
      expect((await reopened.renders.get('prod', 'db'))?.manifest).toBe(manifest('PW'));

      // A sealed rendering copied onto another pack's row does not open there.
      await env.query(
        url,
        `update renders set sealed = (select sealed from renders where pack = 'db') where pack = 'cache'`,
      );
      await expectStoreError(reopened.renders.get('prod', 'cache'), StoreErrorCode.SecretCorrupt);

      await expectStoreError(
        reopened.renders.put('nope', 'db', { key: 'k', manifest: '' }),
        StoreErrorCode.NotFound,
      );
      await reopened.clusters.delete('prod');
      expect(await reopened.renders.stats()).toEqual({ count: 0, size: 0 });
    });
  });
}
