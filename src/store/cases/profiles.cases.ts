import { describe, expect, it } from 'vitest';
import { StoreErrorCode } from '../errors.js';
import type { TestBackend } from '../testing/backends.js';
import { profileFixture } from '../testing/fixtures.js';
import { expectStoreError } from './expect-error.js';

export function profileCases(env: TestBackend): void {
  describe('profiles', () => {
    it('saves a draft, overwrites it, publishes it and keeps source and parsed profile intact', async () => {
      const { store } = await env.open();
      const first = profileFixture('monitoring', '1.0.0', 'first');
      const draft = await store.profiles.saveDraft(first);
      expect(draft).toMatchObject({ name: 'monitoring', version: '1.0.0', type: 'add-on', published: false });
      expect(draft.publishedAt).toBeUndefined();

      const second = profileFixture('monitoring', '1.0.0', 'second');
      await store.profiles.saveDraft(second);
      const stored = await store.profiles.get('monitoring', '1.0.0');
      expect(stored?.source).toBe(second.source);
      expect(stored?.profile).toEqual(second.profile);
      expect(stored?.createdAt).toBe(draft.createdAt);

      const published = await store.profiles.publishDraft('monitoring', '1.0.0');
      expect(published).toMatchObject({ published: true, source: second.source });
      expect(published.publishedAt).toBeDefined();
      expect((await store.profiles.get('monitoring', '1.0.0'))?.published).toBe(true);
      expect(await store.profiles.get('monitoring', '9.9.9')).toBeUndefined();
    });

    it('keeps which parser version made the parsed form: 0 for none, or when JSON cannot carry it', async () => {
      const { store } = await env.open();
      const stamped = { ...profileFixture('monitoring', '1.0.0'), parserVersion: 7 };
      expect((await store.profiles.publish(stamped)).parserVersion).toBe(7);
      expect((await store.profiles.get('monitoring', '1.0.0'))?.parserVersion).toBe(7);
      await store.profiles.publish(profileFixture('logging', '1.0.0'));
      expect((await store.profiles.get('logging', '1.0.0'))?.parserVersion).toBe(0);
      // A `.nan` in the source parses to NaN, which its JSON reads back as null.
      const fixture = profileFixture('tracing', '1.0.0');
      const nan = { ...fixture.profile, spec: { ...fixture.profile.spec, description: Number.NaN } };
      await store.profiles.publish({
        ...fixture,
        profile: nan as unknown as typeof fixture.profile,
        parserVersion: 7,
      });
      expect((await store.profiles.get('tracing', '1.0.0'))?.parserVersion).toBe(0);
    });

    it('returns the profile it was given rather than parsing back the JSON it wrote, unless JSON cannot carry it', async () => {
      const { store } = await env.open();
      const draft = profileFixture('monitoring', '1.0.0');
      expect((await store.profiles.saveDraft(draft)).profile).toBe(draft.profile);
      const published = profileFixture('logging', '1.0.0');
      const record = await store.profiles.publish(published);
      expect(record.profile).toBe(published.profile);
      expect((await store.profiles.get('logging', '1.0.0'))?.profile).toEqual(record.profile);
      // NaN has no JSON: the version written returns what a read of it returns (null there), not the input.
      const fixture = profileFixture('tracing', '1.0.0');
      const nan = { ...fixture.profile, spec: { ...fixture.profile.spec, description: Number.NaN } };
      const lossy = await store.profiles.publish({
        ...fixture,
        profile: nan as unknown as typeof fixture.profile,
      });
      expect(lossy.profile).not.toBe(nan);
      expect(lossy.profile.spec.description).toBeNull();
      expect((await store.profiles.get('tracing', '1.0.0'))?.profile).toEqual(lossy.profile);
    });

    it('makes published versions immutable: same content is idempotent, different content a conflict', async () => {
      const { store } = await env.open();
      const v1 = profileFixture('monitoring', '1.0.0', 'original');
      const published = await store.profiles.publish(v1);
      expect(await store.profiles.publish(v1)).toEqual(published);

      const changed = profileFixture('monitoring', '1.0.0', 'changed');
      const conflict = await expectStoreError(
        store.profiles.publish(changed),
        StoreErrorCode.ProfileVersionConflict,
      );
      expect(conflict.entity).toBe('profile');
      await expectStoreError(store.profiles.saveDraft(changed), StoreErrorCode.ProfileVersionPublished);
      await expectStoreError(
        store.profiles.deleteDraft('monitoring', '1.0.0'),
        StoreErrorCode.ProfileVersionPublished,
      );
      expect((await store.profiles.get('monitoring', '1.0.0'))?.source).toBe(v1.source);
    });

    it('lists versions in semver order, not text order', async () => {
      const { store } = await env.open();
      for (const version of ['1.10.0', '1.9.0', '1.0.0-rc.1', '2.0.0', '1.0.0']) {
        await store.profiles.publish(profileFixture('monitoring', version));
      }
      await store.profiles.saveDraft(profileFixture('monitoring', '2.1.0'));
      await store.profiles.publish(profileFixture('logging', '0.1.0'));

      const versions = await store.profiles.versions('monitoring');
      expect(versions.map((v) => v.version)).toEqual([
        '1.0.0-rc.1',
        '1.0.0',
        '1.9.0',
        '1.10.0',
        '2.0.0',
        '2.1.0',
      ]);
      expect(versions.map((v) => v.published)).toEqual([true, true, true, true, true, false]);
      expect((await store.profiles.latest('monitoring'))?.version).toBe('2.1.0');
      expect((await store.profiles.latest('monitoring', { publishedOnly: true }))?.version).toBe('2.0.0');
      expect(await store.profiles.latest('nope')).toBeUndefined();
      expect(await store.profiles.versions('nope')).toEqual([]);

      expect(await store.profiles.list()).toEqual([
        { name: 'logging', type: 'add-on', versions: ['0.1.0'], latest: '0.1.0', latestPublished: '0.1.0' },
        {
          name: 'monitoring',
          type: 'add-on',
          versions: ['1.0.0-rc.1', '1.0.0', '1.9.0', '1.10.0', '2.0.0', '2.1.0'],
          latest: '2.1.0',
          latestPublished: '2.0.0',
        },
      ]);
    });

    it('deletes drafts, and refuses invalid versions with a typed code', async () => {
      const { store } = await env.open();
      await store.profiles.saveDraft(profileFixture('monitoring', '1.0.0'));
      await store.profiles.deleteDraft('monitoring', '1.0.0');
      expect(await store.profiles.get('monitoring', '1.0.0')).toBeUndefined();
      await expectStoreError(store.profiles.deleteDraft('monitoring', '1.0.0'), StoreErrorCode.NotFound);
      await expectStoreError(store.profiles.publishDraft('monitoring', '1.0.0'), StoreErrorCode.NotFound);
      await expectStoreError(
        store.profiles.saveDraft(profileFixture('monitoring', 'v1')),
        StoreErrorCode.InvalidInput,
      );
      await expectStoreError(
        store.profiles.publish(profileFixture('monitoring', '1.0')),
        StoreErrorCode.InvalidInput,
      );
    });
  });
}
