import { describe, expect, it } from 'vitest';
import { StoreErrorCode } from '../errors.js';
import type { Store } from '../store.js';
import type { TestBackend } from '../testing/backends.js';
import { profileFixture } from '../testing/fixtures.js';
import { expectStoreError } from './expect-error.js';

async function seed(store: Store): Promise<void> {
  await store.clusters.create({ name: 'prod', kubeconfig: 'k' });
  await store.profiles.publish(profileFixture('monitoring', '1.0.0'));
  await store.profiles.publish(profileFixture('monitoring', '1.1.0'));
}

export function attachmentCases(env: TestBackend): void {
  describe('attachments', () => {
    it('attaches a profile version with values, sealing the sensitive ones', async () => {
      const { store, url } = await env.open();
      await seed(store);
      const attached = await store.attachments.attach({
        cluster: 'prod',
        profile: 'monitoring',
        version: '1.0.0',
        values: { replicas: '3', grafanaPassword: 'HUNTER2-SECRET' },
        sensitive: ['grafanaPassword', 'notSet'],
      });
      expect(attached).toMatchObject({
        cluster: 'prod',
        profile: 'monitoring',
        version: '1.0.0',
        values: { replicas: '3' },
        sensitive: ['grafanaPassword'],
      });
      expect(await store.attachments.get('prod', 'monitoring')).toEqual(attached);
      expect(JSON.stringify(await store.attachments.list('prod'))).not.toContain('HUNTER2-SECRET');
      expect(await store.attachments.revealValues('prod', 'monitoring')).toEqual({
        replicas: '3',
        grafanaPassword: 'HUNTER2-SECRET',
      });
      const raw = JSON.stringify(await env.query(url, 'select * from attachments'));
      expect(raw).not.toContain('HUNTER2-SECRET');
      expect(raw).toContain('replicas');
    });

    it('changes version and values, lists users of a profile, and detaches', async () => {
      const { store } = await env.open();
      await seed(store);
      await store.clusters.create({ name: 'dev', kubeconfig: 'k' });
      await store.attachments.attach({
        cluster: 'prod',
        profile: 'monitoring',
        version: '1.0.0',
        values: { a: '1' },
      });
      await store.attachments.attach({ cluster: 'dev', profile: 'monitoring', version: '1.1.0' });

      const moved = await store.attachments.update('prod', 'monitoring', { version: '1.1.0' });
      expect(moved).toMatchObject({ version: '1.1.0', values: { a: '1' } });
      const revalued = await store.attachments.update('prod', 'monitoring', {
        values: { a: '2', pw: 'p' },
        sensitive: ['pw'],
      });
      expect(revalued).toMatchObject({ version: '1.1.0', values: { a: '2' }, sensitive: ['pw'] });
      expect(await store.attachments.revealValues('prod', 'monitoring')).toEqual({ a: '2', pw: 'p' });

      expect((await store.attachments.listUsing('monitoring')).map((a) => a.cluster)).toEqual([
        'dev',
        'prod',
      ]);
      expect(await store.attachments.listUsing('monitoring', '1.0.0')).toEqual([]);

      await store.attachments.detach('prod', 'monitoring');
      expect(await store.attachments.get('prod', 'monitoring')).toBeUndefined();
      await expectStoreError(store.attachments.detach('prod', 'monitoring'), StoreErrorCode.NotFound);
      await expectStoreError(store.attachments.update('prod', 'monitoring', {}), StoreErrorCode.NotFound);
      await expectStoreError(store.attachments.revealValues('prod', 'monitoring'), StoreErrorCode.NotFound);
    });

    it('refuses unknown clusters and profile versions, double attachments and deleting a draft in use', async () => {
      const { store } = await env.open();
      await seed(store);
      const base = { cluster: 'prod', profile: 'monitoring', version: '1.0.0' };
      expect(
        (
          await expectStoreError(
            store.attachments.attach({ ...base, cluster: 'nope' }),
            StoreErrorCode.NotFound,
          )
        ).entity,
      ).toBe('cluster');
      expect(
        (
          await expectStoreError(
            store.attachments.attach({ ...base, version: '3.0.0' }),
            StoreErrorCode.NotFound,
          )
        ).entity,
      ).toBe('profile');
      await store.attachments.attach(base);
      await expectStoreError(
        store.attachments.attach({ ...base, version: '1.1.0' }),
        StoreErrorCode.AttachmentExists,
      );
      await expectStoreError(
        store.attachments.update('prod', 'monitoring', { version: '7.0.0' }),
        StoreErrorCode.NotFound,
      );

      await store.profiles.saveDraft(profileFixture('monitoring', '2.0.0-dev'));
      await store.attachments.update('prod', 'monitoring', { version: '2.0.0-dev' });
      const inUse = await expectStoreError(
        store.profiles.deleteDraft('monitoring', '2.0.0-dev'),
        StoreErrorCode.ProfileInUse,
      );
      expect(inUse.message).toContain('prod');
    });

    it('goes away with its cluster', async () => {
      const { store } = await env.open();
      await seed(store);
      await store.attachments.attach({ cluster: 'prod', profile: 'monitoring', version: '1.0.0' });
      await store.clusters.delete('prod');
      expect(await store.attachments.listUsing('monitoring')).toEqual([]);
    });
  });
}
