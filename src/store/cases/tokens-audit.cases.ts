import { describe, expect, it } from 'vitest';
import { KEPT_TEXT_MAX } from '../../shared/kept-text.js';
import { StoreErrorCode } from '../errors.js';
import { TOKEN_PREFIX, type TokenRole } from '../tokens.js';
import type { TestBackend } from '../testing/backends.js';
import { expectStoreError } from './expect-error.js';

export function tokenAndAuditCases(env: TestBackend): void {
  describe('API tokens', () => {
    it('returns the plaintext once, stores only its hash and verifies it', async () => {
      let now = new Date('2026-01-01T00:00:00.000Z');
      const { store, url } = await env.open({ now: () => now });
      const { token, plaintext } = await store.tokens.create({ role: 'operator', name: 'ci' });
      expect(plaintext.startsWith(TOKEN_PREFIX)).toBe(true);
      expect(plaintext.length).toBeGreaterThanOrEqual(TOKEN_PREFIX.length + 43);
      expect(token).toEqual({ id: token.id, name: 'ci', role: 'operator', createdAt: now.toISOString() });
      expect(JSON.stringify(await env.query(url, 'select * from tokens'))).not.toContain(
        plaintext.slice(TOKEN_PREFIX.length),
      );

      now = new Date('2026-01-01T00:05:00.000Z');
      expect(await store.tokens.verify(plaintext)).toEqual({ ...token, lastUsedAt: now.toISOString() });
      // Within the minute: no write, the stored time stays.
      now = new Date('2026-01-01T00:05:30.000Z');
      expect((await store.tokens.verify(plaintext))?.lastUsedAt).toBe('2026-01-01T00:05:00.000Z');
      expect((await store.tokens.get(token.id))?.lastUsedAt).toBe('2026-01-01T00:05:00.000Z');

      expect(await store.tokens.verify(`${plaintext}x`)).toBeUndefined();
      expect(await store.tokens.verify('not-a-token')).toBeUndefined();
      expect(await store.tokens.verify('')).toBeUndefined();
    });

    it('lists, counts by role, revokes, and refuses duplicate names and unknown roles', async () => {
      const { store } = await env.open();
      const admin = await store.tokens.create({ role: 'admin', name: 'first-admin' });
      await store.tokens.create({ role: 'viewer', name: 'dashboard' });
      expect((await store.tokens.list()).map((t) => t.name)).toEqual(['dashboard', 'first-admin']);
      expect(await store.tokens.count()).toBe(2);
      expect(await store.tokens.count('admin')).toBe(1);
      expect(await store.tokens.count('operator')).toBe(0);

      await expectStoreError(
        store.tokens.create({ role: 'viewer', name: 'dashboard' }),
        StoreErrorCode.TokenExists,
      );
      await expectStoreError(
        store.tokens.create({ role: 'root' as TokenRole, name: 'x' }),
        StoreErrorCode.InvalidInput,
      );
      await expectStoreError(store.tokens.create({ role: 'viewer', name: ' ' }), StoreErrorCode.InvalidInput);

      await store.tokens.delete(admin.token.id);
      expect(await store.tokens.verify(admin.plaintext)).toBeUndefined();
      await expectStoreError(store.tokens.delete(admin.token.id), StoreErrorCode.NotFound);
    });
  });

  describe('audit log', () => {
    it('records who did what to which target, and lists newest first with filters and paging', async () => {
      const { store } = await env.open();
      const a = await store.audit.record({
        actor: { tokenId: 't-1', name: 'ci' },
        action: 'cluster.register',
        target: 'cluster/prod',
        details: { driftPolicy: 'correct', nested: { ok: true } },
      });
      const b = await store.audit.record({
        actor: { name: 'hub' },
        action: 'token.create',
        target: 'token/first-admin',
      });
      const c = await store.audit.record({
        actor: { tokenId: 't-1', name: 'ci' },
        action: 'cluster.delete',
        target: 'cluster/prod',
      });
      expect(b.id).toBeGreaterThan(a.id);
      expect(a).toMatchObject({ actor: { tokenId: 't-1', name: 'ci' }, details: { nested: { ok: true } } });
      expect(b.actor).toEqual({ name: 'hub' });
      expect(b.details).toEqual({});

      expect(await store.audit.list()).toEqual([c, b, a]);
      expect(await store.audit.list({ target: 'cluster/prod' })).toEqual([c, a]);
      expect(await store.audit.list({ beforeId: c.id, limit: 1 })).toEqual([b]);
    });

    it('reads a drift record an older hub wrote raw without terminal control, URL user-info or unbounded text', async () => {
      const { store } = await env.open();
      // As a hub before session 10 wrote an agent's (or a cluster's) drift message: whole, nothing cleaned.
      const raw =
        'drift: ConfigMap apps/web changed by http://admin:S3cret@10.0.0.9:8080/x \u001b]52;c;ZXZpbA==\u0007\u202eevil ';
      await store.audit.record({
        actor: { name: 'strata' },
        action: 'pack.drift',
        target: 'cluster/prod/pack/web',
        details: { message: `${raw}${'x'.repeat(100 * 1024)}`, correcting: true },
      });
      const [entry] = await store.audit.list();
      const message = (entry?.details as { message?: string }).message ?? '';
      expect(message).toMatch(
        /^drift: ConfigMap apps\/web changed by http:\/\/\*\*\*@10\.0\.0\.9:8080\/x \]52;c;ZXZpbA==evil x+…\[\d+ more characters cut by the hub\]$/u,
      );
      expect(message).toHaveLength(KEPT_TEXT_MAX);
      expect(entry?.details).toMatchObject({ correcting: true });
    });
  });
}
