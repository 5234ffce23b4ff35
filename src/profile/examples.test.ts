// Every example under examples/ validates, composes and plans as docs/profiles.md describes.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatIssues, type ProfileResult } from './errors.js';
import { loadProfileFiles, type LoadedProfile } from './load.js';
import { planCluster } from './plan.js';
import { resolveProfile } from './resolve.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');
const file = (name: string) => path.join(examples, name);

function ok<T>(result: ProfileResult<T>): T {
  if (!result.ok) throw new Error(formatIssues(result.issues));
  return result.value;
}

async function load(...names: string[]): Promise<LoadedProfile[]> {
  return ok(await loadProfileFiles(names.map(file)));
}

describe('examples/', () => {
  it('plans infra + monitoring + platform-tools in the documented waves', async () => {
    const profiles = await load('infra.yaml', 'monitoring.yaml', 'platform-tools.yaml');
    const plan = ok(planCluster(profiles));
    expect(plan.waves.map((w) => w.packs.map((p) => `${p.profile.name}/${p.pack.name}`))).toEqual([
      ['local-infra/node-config'],
      ['local-infra/cluster-policies'],
      ['local-infra/sim-cni'],
      ['local-infra/sim-csi'],
      // Each add-on profile is ordered on its own after the infra layers: waves 5-7 of monitoring and 5-6 of
      // platform-tools install side by side.
      ['platform-tools/tenant-quotas', 'monitoring/metrics-store'],
      ['monitoring/dashboards', 'platform-tools/echo'],
      ['monitoring/alert-relay'],
    ]);
    expect(plan.waves.flatMap((w) => w.packs.map((p) => p.explanation))).toEqual([
      'wave 1: profile local-infra, layer os, priority 0 (default), first',
      'wave 2: profile local-infra, layer k8s, priority 0 (default), after the os layer',
      'wave 3: profile local-infra, layer cni, priority 0 (default), after the k8s layer',
      'wave 4: profile local-infra, layer csi, priority 5 (from the values pack block), after cni/sim-cni (dependsOn)',
      'wave 5: profile platform-tools, layer addon, priority -5, after the csi layer',
      'wave 5: profile monitoring, layer addon, priority 0 (default), after the csi layer',
      'wave 6: profile monitoring, layer addon, priority 0 (default), after addon/metrics-store (dependsOn)',
      'wave 6: profile platform-tools, layer addon, priority 0 (default), after the addon packs of priority -5',
      'wave 7: profile monitoring, layer addon, priority 10 (from the values pack block), after the addon packs of priority 0',
    ]);
  });

  it('resolves every example for a cluster, with the sensitive password hidden from display', async () => {
    const profiles = await load('infra.yaml', 'monitoring.yaml', 'platform-tools.yaml');
    const values: Record<string, Record<string, string>> = {
      monitoring: { adminPassword: 'a-long-admin-password' },
    };
    const resolved = profiles.map((p) =>
      ok(
        resolveProfile(p, {
          clusterName: 'dev-1',
          values: values[p.profile.metadata.name] ?? {},
          fileManifests: p.fileManifests,
        }),
      ),
    );
    const text = JSON.stringify(resolved.map((r) => r.packs));
    expect(text).not.toContain('{{ .strata');
    expect(text).toContain('hello from dev-1');
    expect(text).toContain('local-infra@1.0.0');
    const monitoring = resolved[1];
    expect(JSON.stringify(monitoring?.redactor.redactDeep(monitoring.packs))).not.toContain(
      'a-long-admin-password',
    );
  });

  it('strips the Palette pack block from the values that reach Helm', async () => {
    const [monitoring] = await load('monitoring.yaml');
    const relay = monitoring?.profile.spec.packs.find((p) => p.name === 'alert-relay');
    expect(relay).toMatchObject({
      namespace: { name: 'alerting' },
      installPriority: 10,
      values: { config: { ROUTE: 'default' } },
    });
    expect(relay).not.toHaveProperty('values.pack');
  });

  it('loads the failing example, which plans after the infra profile', async () => {
    const profiles = await load('infra.yaml', 'failing/broken-addon.yaml');
    const plan = ok(planCluster(profiles));
    expect(plan.waves.at(-1)?.packs.map((p) => p.pack.name)).toEqual(['broken-web']);
  });

  it('ships valid Helm v3 charts: Chart.yaml and values.yaml are YAML, apiVersion v2', async () => {
    const charts = await readdir(path.join(examples, 'charts'));
    expect(charts.length).toBeGreaterThan(0);
    for (const chart of charts) {
      const meta: unknown = parse(await readFile(path.join(examples, 'charts', chart, 'Chart.yaml'), 'utf8'));
      expect(meta).toMatchObject({ apiVersion: 'v2', name: chart, version: '0.1.0' });
      const values: unknown = parse(
        await readFile(path.join(examples, 'charts', chart, 'values.yaml'), 'utf8'),
      );
      expect(values).toBeTypeOf('object');
    }
  });
});
