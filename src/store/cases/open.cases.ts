import { describe, expect, it } from 'vitest';
import { StoreErrorCode } from '../errors.js';
import { createStore } from '../store.js';
import { Backend } from '../url.js';
import type { TestBackend } from '../testing/backends.js';
import { newKey, packStatus } from '../testing/fixtures.js';
import { expectStoreError } from './expect-error.js';

export function openCases(env: TestBackend): void {
  describe('opening and migrations', () => {
    it('migrates once: opening again keeps the data and runs nothing twice', async () => {
      const first = await env.open();
      await first.store.clusters.create({ name: 'kept', kubeconfig: 'k' });
      await first.store.close();
      for (let i = 0; i < 2; i++) {
        const again = await env.open({ url: first.url, secretKey: first.key });
        expect((await again.store.clusters.list()).map((c) => c.name)).toEqual(['kept']);
        await again.store.close();
      }
      const migrations = await env.query(first.url, 'select name from strata_migration');
      expect(migrations.map((m) => m.name)).toEqual([
        '0001_initial',
        '0002_blobs',
        '0003_renders',
        '0004_chart_sources',
        '0005_pack_runs',
        '0006_health_rules',
        '0007_leases',
        '0008_agents',
        '0009_profile_parser',
      ]);
    });

    it('reports a bad key as a configuration error before touching the database', async () => {
      const url = await env.freshUrl();
      await expectStoreError(
        createStore({ url, secretKey: 'dG9vIHNob3J0' }),
        StoreErrorCode.SecretKeyInvalid,
      );
      await expectStoreError(
        createStore({ url, secretKey: '!'.repeat(44) }),
        StoreErrorCode.SecretKeyInvalid,
      );
    });

    it('refuses use after close with a typed error', async () => {
      const { store } = await env.open();
      await store.close();
      await store.close(); // idempotent
      await expectStoreError(store.clusters.list(), StoreErrorCode.Closed);
      await expectStoreError(
        store.packStatus.record({ cluster: 'a', pack: 'p', status: packStatus('success') }),
        StoreErrorCode.Closed,
      );
    });

    it('answers ping while open', async () => {
      const { store } = await env.open();
      await expect(store.ping()).resolves.toBeUndefined();
      expect(store.backend).toBe(env.name);
    });

    if (env.name === Backend.Postgres) {
      it('says which server it could not reach, without the password', async () => {
        const error = await expectStoreError(
          createStore({ url: 'postgres://strata:hunter2@127.0.0.1:1/strata', secretKey: newKey() }),
          StoreErrorCode.DatabaseUnavailable,
        );
        expect(error.message).toContain('127.0.0.1:1');
        expect(error.message).not.toContain('hunter2');
      });

      it('lets two hubs migrate the same new database at once', async () => {
        const url = await env.freshUrl();
        const key = newKey();
        const [a, b] = await Promise.all([
          env.open({ url, secretKey: key }),
          env.open({ url, secretKey: key }),
        ]);
        await a.store.clusters.create({ name: 'x', kubeconfig: 'k' });
        expect((await b.store.clusters.list()).map((c) => c.name)).toEqual(['x']);
      });
    } else {
      it('refuses a second store on the same SQLite file in one process', async () => {
        const first = await env.open();
        await expectStoreError(
          env.open({ url: first.url, secretKey: first.key }),
          StoreErrorCode.DatabaseInUse,
        );
        await first.store.close();
        const again = await env.open({ url: first.url, secretKey: first.key });
        await again.store.ping();
      });
    }
  });
}
