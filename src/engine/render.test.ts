import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChartSourceKind, Layer, PackType, PrioritySource, type HelmPack } from '../profile/index.js';
import { Annotation, HookDeletePolicy, HookEvent, renderPack } from './render.js';
import { helmBin } from './testing/runner.js';

const charts = join(import.meta.dirname, 'conformance', 'charts');

function chartPack(path: string): HelmPack {
  return {
    type: PackType.Helm,
    name: path,
    layer: Layer.Addon,
    version: '1.0.0',
    installPriority: 0,
    prioritySource: PrioritySource.Default,
    dependsOn: [],
    timeoutMs: 60_000,
    namespace: { name: 'ns', labels: {}, annotations: {}, create: true },
    chart: { kind: ChartSourceKind.Local, path },
    releaseName: 'conf',
    values: {},
  };
}

const render = (chart: string) =>
  renderPack(chartPack(chart), {
    cluster: 'c',
    profile: 'p',
    chartFile: join(charts, chart),
    helmBin: helmBin(),
    capabilities: { kubeVersion: 'v1.34.1', apiVersions: [] },
  });

describe('renderPack: hooks as Helm sees them', () => {
  it('orders hooks by weight, then name, then kind, and keeps a hook of two events as one', async () => {
    const { hooks, objects } = await render('hooks');
    expect(hooks.map((h) => `${h.weight} ${h.object.kind}/${h.object.metadata.name}`)).toEqual([
      '-5 ServiceAccount/hook-runner',
      '-1 ConfigMap/both-events',
      '0 ConfigMap/post-delete-marker',
      '0 Job/pre-delete-job',
      '0 Job/pre-upgrade-job',
      '0 Job/ttl-zero',
      '1 Job/pre-job',
      '3 ConfigMap/post-upgrade-note',
      '5 Job/kept-unless-failed',
    ]);
    const both = hooks.find((h) => h.object.metadata.name === 'both-events');
    expect(both?.events).toEqual([HookEvent.PreInstall, HookEvent.PostInstall]);
    // Helm's default delete policy.
    expect(both?.deletePolicies).toEqual([HookDeletePolicy.BeforeHookCreation]);
    expect(objects.map((o) => o.metadata.name)).toEqual(['app-config']);
  });

  it("marks CRDs of the chart's crds/ folder, and only those, so removal leaves them", async () => {
    const { objects } = await render('removal');
    const marked = objects
      .filter((o) => (o.metadata.annotations as Record<string, string> | undefined)?.[Annotation.ChartCrd])
      .map((o) => o.metadata.name);
    expect(marked).toEqual(['gadgets.conformance.strata.dev']);
    expect(objects.map((o) => o.metadata.name)).toContain('gizmos.ns.conformance.strata.dev');
  });
});
