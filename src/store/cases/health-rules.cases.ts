import { describe, expect, it } from 'vitest';
import type { TestBackend } from '../testing/backends.js';

export function healthRuleCases(env: TestBackend): void {
  describe('cluster-wide health rules', () => {
    it('keeps every applied version; the newest is in force', async () => {
      let now = new Date('2026-01-01T00:00:00.000Z');
      const { store } = await env.open({ now: () => now });
      expect(await store.healthRules.current()).toBeUndefined();
      const rule = { apiVersion: 'example.com/v1', kind: 'Widget', current: "status.phase == 'Ready'" };
      const first = await store.healthRules.apply({ rules: [rule], source: 'first', actorName: 'admin' });
      now = new Date('2026-01-01T00:01:00.000Z');
      const second = await store.healthRules.apply({
        rules: [{ ...rule, failed: "status.phase == 'Failed'", graceSeconds: 60 }],
        source: 'second',
        actorName: 'ops',
      });
      expect(second.version).toBeGreaterThan(first.version);
      expect(await store.healthRules.current()).toEqual({
        version: second.version,
        rules: [{ ...rule, failed: "status.phase == 'Failed'", graceSeconds: 60 }],
        source: 'second',
        actorName: 'ops',
        createdAt: '2026-01-01T00:01:00.000Z',
      });
      expect((await store.healthRules.versions()).map((v) => v.source)).toEqual(['second', 'first']);
    });
  });
}
