import { describe, expect, it } from 'vitest';
import { parseOk, profileText } from '../profile/testing/profiles.js';
import type { listChartVersions } from './chart-fetch.js';
import { outdatedCharts, VersionsCache } from './outdated.js';

const profile = parseOk(
  profileText({
    name: 'remote',
    packs: [
      '- { name: web, layer: addon, version: 0.1.0, type: helm, chart: { repo: "https://charts.example.com/stable", name: web, version: 1.0.0 } }',
      '- { name: web2, layer: addon, version: 0.1.0, type: helm, chart: { repo: "https://charts.example.com/stable", name: web, version: 1.1.0 } }',
      '- { name: db, layer: addon, version: 0.1.0, type: helm, chart: { oci: "oci://registry.example.com/charts/db", version: 1.0.0 } }',
    ].join('\n'),
  }),
).profile;

/** A lister that counts what it was asked, answering from `answers` by chart location. */
function lister(answers: Record<string, Awaited<ReturnType<typeof listChartVersions>>>) {
  const asked: string[] = [];
  const list: typeof listChartVersions = (chart) => {
    const where = chart.kind === 'repo' ? `${chart.repo} ${chart.name}` : chart.ref;
    asked.push(where);
    return Promise.resolve(answers[where] ?? { ok: false, cause: '404 Not Found' });
  };
  return { asked, list };
}

describe('outdatedCharts with a cache (review 8, item 6)', () => {
  const answers: Record<string, Awaited<ReturnType<typeof listChartVersions>>> = {
    'https://charts.example.com/stable web': { ok: true, versions: ['1.0.0', '1.1.0', '1.2.0'] },
    'oci://registry.example.com/charts/db': { ok: false, cause: 'connection refused' },
  };

  it('asks each source once per chart, for every pack and every request while the answer is fresh', async () => {
    let now = 0;
    const cache = new VersionsCache({ now: () => now });
    const { asked, list } = lister(answers);
    const options = { helmBin: 'helm', sources: [], deny: new Set<never>(), list, cache };
    const first = await outdatedCharts(profile, options);
    expect(first).toEqual([
      {
        pack: 'web',
        chart: 'https://charts.example.com/stable web',
        version: '1.0.0',
        newer: ['1.1.0', '1.2.0'],
      },
      { pack: 'web2', chart: 'https://charts.example.com/stable web', version: '1.1.0', newer: ['1.2.0'] },
      {
        pack: 'db',
        chart: 'oci://registry.example.com/charts/db',
        version: '1.0.0',
        newer: [],
        error: 'connection refused',
      },
    ]);
    expect(asked).toEqual(['https://charts.example.com/stable web', 'oci://registry.example.com/charts/db']);
    now = 59_000;
    expect(await outdatedCharts(profile, options)).toEqual(first);
    expect(asked).toHaveLength(2);
    // A failure is kept one minute, an answer five.
    now = 61_000;
    await outdatedCharts(profile, options);
    expect(asked.slice(2)).toEqual(['oci://registry.example.com/charts/db']);
    now = 5 * 60_000 + 1;
    await outdatedCharts(profile, options);
    expect(asked.slice(3)).toEqual([
      'https://charts.example.com/stable web',
      'oci://registry.example.com/charts/db',
    ]);
  });

  it('without a cache asks every time (as before)', async () => {
    const { asked, list } = lister(answers);
    await outdatedCharts(profile, { helmBin: 'helm', sources: [], deny: new Set(), list });
    expect(asked).toHaveLength(3);
  });
});

describe('VersionsCache', () => {
  it('keeps answers apart by key and drops the oldest past its byte bound', () => {
    const cache = new VersionsCache({ maxBytes: 100 });
    const versions = (n: number) => ({
      ok: true as const,
      versions: Array.from({ length: n }, (_, i) => `1.0.${i}`),
    });
    cache.set('a', versions(3)); // 1 + 3 × (5 + 8) = 40 bytes
    cache.set('b', versions(3));
    expect(cache.get('a')).toEqual(versions(3));
    cache.set('c', versions(3)); // 120 > 100: a goes
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual(versions(3));
    expect(cache.get('c')).toEqual(versions(3));
    cache.set('huge', versions(50)); // larger than the bound: not kept, nothing dropped for it
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
  });
});
