import { describe, expect, it } from 'vitest';
import { StoreErrorCode } from '../errors.js';
import type { TestBackend } from '../testing/backends.js';
import { expectStoreError } from './expect-error.js';

export function chartSourceCases(env: TestBackend): void {
  describe('chart sources', () => {
    const password = `pw-canary-${process.pid}`;
    const caPem = '-----BEGIN CERTIFICATE-----\nMIIB-canary\n-----END CERTIFICATE-----\n';

    it('seals the password and CA: on disk and in list they are absent, only withCredentials has them', async () => {
      const { store, url } = await env.open();
      const saved = await store.chartSources.put({
        name: 'charts',
        url: 'https://charts.example.com',
        username: 'ci',
        password,
        caPem,
      });
      expect(saved).toMatchObject({ name: 'charts', username: 'ci', hasPassword: true, hasCa: true });
      expect(JSON.stringify(saved)).not.toContain(password);
      expect(JSON.stringify(await store.chartSources.list())).not.toContain(password);
      const rows = await env.query(url, 'select * from chart_sources');
      expect(JSON.stringify(rows)).not.toContain(password);
      expect(JSON.stringify(rows)).not.toContain('MIIB-canary');
      expect(await store.chartSources.withCredentials()).toEqual([
        expect.objectContaining({ name: 'charts', username: 'ci', password, caPem }),
      ]);
    });

    it('replaces a source of the same name, credentials included, and removes one by name', async () => {
      const { store } = await env.open();
      await store.chartSources.put({ name: 'reg', url: 'oci://r.example.com', username: 'a', password });
      await store.chartSources.put({ name: 'reg', url: 'oci://r.example.com/charts', plainHttp: true });
      expect(await store.chartSources.withCredentials()).toEqual([
        expect.objectContaining({ url: 'oci://r.example.com/charts', plainHttp: true, hasPassword: false }),
      ]);
      expect((await store.chartSources.withCredentials())[0]?.password).toBeUndefined();
      await store.chartSources.delete('reg');
      expect(await store.chartSources.list()).toEqual([]);
      await expectStoreError(store.chartSources.delete('reg'), StoreErrorCode.NotFound);
    });

    it("keeps a version's first pins: published content does not change under it", async () => {
      const { store } = await env.open();
      const first = 'a'.repeat(64);
      await store.pinnedCharts.pin('web', '1.0.0', { 'oci://r/web@1.0.0': first });
      await store.pinnedCharts.pin('web', '1.0.0', { 'oci://r/web@1.0.0': 'b'.repeat(64) });
      expect(await store.pinnedCharts.of('web', '1.0.0')).toEqual({ 'oci://r/web@1.0.0': first });
      expect(await store.pinnedCharts.of('web', '2.0.0')).toEqual({});
    });
  });
}
