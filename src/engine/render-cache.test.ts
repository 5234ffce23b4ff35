import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChartSourceKind, Layer, type HelmPack } from '../profile/index.js';
import { EngineErrorCode } from './errors.js';
import type { HelmTemplateOptions } from './helm.js';
import {
  MemoryRenderCache,
  chartDigest,
  kubeMinor,
  renderKey,
  reusable,
  templateOnce,
  type RenderCache,
} from './render-cache.js';
import { helmPack, packNamespace } from './testing/packs.js';

const dbPack = (overrides: Partial<HelmPack> = {}): HelmPack =>
  helmPack({
    name: 'db',
    namespace: packNamespace('data'),
    chart: { kind: ChartSourceKind.Repo, repo: 'https://charts.example.com', name: 'db', version: '2.1.0' },
    values: { auth: { user: 'app', database: 'main' }, replicas: 1 },
    ...overrides,
  });

const key = (pack: HelmPack, extra: { chartDigest?: string; kubeVersion?: string } = {}) =>
  renderKey({ pack, kubeVersion: 'v1.34.1', ...extra });

describe('renderKey: what makes a new revision of a Helm pack', () => {
  const base = key(dbPack());

  it('is the same for the same inputs, whatever the order of the value keys', () => {
    expect(key(dbPack())).toBe(base);
    expect(key(dbPack({ values: { replicas: 1, auth: { database: 'main', user: 'app' } } }))).toBe(base);
  });

  it('changes with the values, the chart version or repository, the release, the namespace and the pack version', () => {
    const changed = [
      dbPack({ values: { auth: { user: 'app', database: 'other' }, replicas: 1 } }),
      dbPack({ values: { auth: { user: 'app', database: 'main' }, replicas: 2 } }),
      dbPack({
        chart: {
          kind: ChartSourceKind.Repo,
          repo: 'https://charts.example.com',
          name: 'db',
          version: '2.2.0',
        },
      }),
      dbPack({
        chart: {
          kind: ChartSourceKind.Repo,
          repo: 'https://mirror.example.com',
          name: 'db',
          version: '2.1.0',
        },
      }),
      dbPack({
        chart: { kind: ChartSourceKind.Oci, ref: 'oci://registry.example.com/db', version: '2.1.0' },
      }),
      dbPack({ releaseName: 'db2' }),
      dbPack({ namespace: packNamespace('other') }),
      dbPack({ version: '1.0.1' }),
    ].map((p) => key(p));
    expect(new Set([base, ...changed]).size).toBe(changed.length + 1);
  });

  it('follows a local chart by its content, not by where it was cached', () => {
    const local = dbPack({ chart: { kind: ChartSourceKind.Local, path: 'charts/db' } });
    expect(key(local, { chartDigest: 'a'.repeat(64) })).toBe(key(local, { chartDigest: 'a'.repeat(64) }));
    expect(key(local, { chartDigest: 'a'.repeat(64) })).not.toBe(key(local, { chartDigest: 'b'.repeat(64) }));
    // The path a profile names is not the content: the same content under another path is the same chart.
    const moved = dbPack({ chart: { kind: ChartSourceKind.Local, path: 'charts/db-renamed' } });
    expect(key(moved, { chartDigest: 'a'.repeat(64) })).toBe(key(local, { chartDigest: 'a'.repeat(64) }));
  });

  it('changes with the cluster Kubernetes minor version, not with its patch or distribution suffix', () => {
    const pack = dbPack();
    expect(key(pack, { kubeVersion: 'v1.34.3' })).toBe(base);
    expect(key(pack, { kubeVersion: 'v1.34.0-gke.1200' })).toBe(base);
    expect(key(pack, { kubeVersion: 'v1.34.1+k3s1' })).toBe(base);
    expect(key(pack, { kubeVersion: 'v1.35.0' })).not.toBe(base);
  });

  it('ignores what is not an input of helm template: the pack priority, timeout, dependencies and layer', () => {
    expect(key(dbPack({ installPriority: 5, timeoutMs: 1000, dependsOn: ['x'], layer: Layer.Csi }))).toBe(
      base,
    );
  });
});

describe('kubeMinor', () => {
  it('reads the minor version of the gitVersions clusters report', () => {
    expect(kubeMinor('v1.34.1')).toBe('1.34');
    expect(kubeMinor('v1.9.11-eks-1')).toBe('1.9');
    expect(kubeMinor('1.30.2+rke2r1')).toBe('1.30');
    expect(kubeMinor(undefined)).toBeUndefined();
    // Not a version: kept whole, so it is still part of the key rather than dropped.
    expect(kubeMinor('unknown')).toBe('unknown');
  });
});

describe('chartDigest', () => {
  it('hashes a chart folder by its files, and an archive by its bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-chart-digest-'));
    const chart = join(dir, 'chart');
    mkdirSync(join(chart, 'templates'), { recursive: true });
    writeFileSync(join(chart, 'Chart.yaml'), 'name: db\nversion: 1.0.0\n');
    writeFileSync(join(chart, 'templates', 'cm.yaml'), 'kind: ConfigMap\n');
    const first = await chartDigest(chart);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await chartDigest(chart)).toBe(first);
    writeFileSync(join(chart, 'templates', 'cm.yaml'), 'kind: Secret\n');
    expect(await chartDigest(chart)).not.toBe(first);

    const archive = join(dir, 'db.tgz');
    writeFileSync(archive, Buffer.from([1, 2, 3]));
    const archived = await chartDigest(archive);
    writeFileSync(archive, Buffer.from([1, 2, 4]));
    expect(await chartDigest(archive)).not.toBe(archived);
  });
});

describe('the reuse decision', () => {
  it('reuses a stored rendering only when it is of the same revision', () => {
    const entry = { key: 'k1', manifest: 'kind: ConfigMap' };
    expect(reusable(entry, 'k1')).toBe(entry);
    expect(reusable(entry, 'k2')).toBeUndefined();
    expect(reusable(undefined, 'k1')).toBeUndefined();
  });
});

describe('templateOnce', () => {
  const options: HelmTemplateOptions = {
    helmBin: '/nonexistent/helm',
    capabilities: { kubeVersion: 'v1.34.1', apiVersions: ['v1'] },
  };
  const retry = <T>(_what: string, action: () => Promise<T>) => action();
  const signal = new AbortController().signal;

  /** A stand-in for helm whose output differs on every call, as a chart with randAlphaNum does. */
  function randomTemplate() {
    let calls = 0;
    return {
      template: () => Promise.resolve(`password: ${++calls}`),
      calls: () => calls,
    };
  }

  it('renders a revision once: resyncs and a new runner on the same cache get the first rendering', async () => {
    const cache = new MemoryRenderCache();
    const helm = randomTemplate();
    const first = await templateOnce(dbPack(), options, { cache, retry, signal, template: helm.template });
    expect(await templateOnce(dbPack(), options, { cache, retry, signal, template: helm.template })).toBe(
      first,
    );
    // A patch upgrade of the cluster and a reordered values object are the same revision.
    const patched = { ...options, capabilities: { kubeVersion: 'v1.34.2', apiVersions: ['v1', 'apps/v1'] } };
    const reordered = dbPack({ values: { replicas: 1, auth: { database: 'main', user: 'app' } } });
    expect(await templateOnce(reordered, patched, { cache, retry, signal, template: helm.template })).toBe(
      first,
    );
    expect(helm.calls()).toBe(1);
    expect(await cache.get('db')).toMatchObject({ manifest: first, kubeVersion: 'v1.34.1' });
  });

  it('renders again for new values or a new cluster minor version, and keeps only the new rendering', async () => {
    const cache = new MemoryRenderCache();
    const helm = randomTemplate();
    const deps = { cache, retry, signal, template: helm.template };
    const first = await templateOnce(dbPack(), options, deps);
    const changed = await templateOnce(dbPack({ values: { replicas: 3 } }), options, deps);
    expect(changed).not.toBe(first);
    const upgraded = { ...options, capabilities: { kubeVersion: 'v1.35.0', apiVersions: ['v1'] } };
    const third = await templateOnce(dbPack({ values: { replicas: 3 } }), upgraded, deps);
    expect(third).not.toBe(changed);
    expect(helm.calls()).toBe(3);
    expect((await cache.get('db'))?.manifest).toBe(third);
  });

  it('renders again, once, a rendering stored before the chart archive checks (its key has no checks stamp)', async () => {
    // renderKey of dbPack() on v1.34.1 as the code before the archive checks (reviews 8 and 9) computed it:
    // such a rendering may come from a chart the checks now refuse, and was reused for the same revision.
    const beforeChecks = 'fd25378089b7942230effc7b50db637ec0d062f7e106ba7ed0185b11782ceaf5';
    const cache = new MemoryRenderCache();
    await cache.put('db', {
      key: beforeChecks,
      manifest: 'rendered before the checks',
      kubeVersion: 'v1.34.1',
    });
    const helm = randomTemplate();
    const deps = { cache, retry, signal, template: helm.template };
    const again = await templateOnce(dbPack(), options, deps);
    expect(again).not.toBe('rendered before the checks');
    expect((await cache.get('db'))?.key).not.toBe(beforeChecks);
    // Once: the new rendering carries the stamp and is reused.
    expect(await templateOnce(dbPack(), options, deps)).toBe(again);
    expect(helm.calls()).toBe(1);
  });

  it('after forget (the pack was uninstalled) the next install renders anew', async () => {
    const cache = new MemoryRenderCache();
    const helm = randomTemplate();
    const deps = { cache, retry, signal, template: helm.template };
    const first = await templateOnce(dbPack(), options, deps);
    await cache.forget('db');
    expect(await templateOnce(dbPack(), options, deps)).not.toBe(first);
  });

  it('stores the rendering before returning it, and a store that fails is retried, not rendered around', async () => {
    const stored: string[] = [];
    let failures = 2;
    const flaky: RenderCache = {
      get: () =>
        failures-- > 0 ? Promise.reject(new Error('database unavailable')) : Promise.resolve(undefined),
      put: (_pack, entry) => {
        stored.push(entry.manifest);
        return Promise.resolve();
      },
      forget: () => Promise.resolve(),
    };
    const attempts: string[] = [];
    const retrying = async <T>(what: string, action: () => Promise<T>): Promise<T> => {
      for (;;) {
        try {
          return await action();
        } catch {
          attempts.push(what);
        }
      }
    };
    const helm = randomTemplate();
    const manifest = await templateOnce(dbPack(), options, {
      cache: flaky,
      retry: retrying,
      signal,
      template: helm.template,
    });
    expect(attempts).toEqual([
      'reading the stored rendering of pack db',
      'reading the stored rendering of pack db',
    ]);
    expect(helm.calls()).toBe(1);
    expect(stored).toEqual([manifest]);
  });

  it('names the pack when its local chart cannot be read', async () => {
    const local = dbPack({ chart: { kind: ChartSourceKind.Local, path: 'charts/db' } });
    await expect(
      templateOnce(
        local,
        { ...options, chartFile: '/nonexistent/chart.tgz' },
        {
          cache: new MemoryRenderCache(),
          retry,
          signal,
          template: () => Promise.resolve(''),
        },
      ),
    ).rejects.toMatchObject({
      code: EngineErrorCode.RenderFailed,
      message: expect.stringContaining('pack db: cannot read its chart') as unknown,
    });
  });
});
