import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { writeTarGz } from '../profile/bundle.js';
import { ChartSourceKind, type HelmPack } from '../profile/index.js';
import { stableLists } from './helm.js';
import { parseManifestStream, Annotation, HookDeletePolicy, HookEvent, renderPack } from './render.js';
import { helmPack, packNamespace } from './testing/packs.js';
import { helmBin } from './testing/runner.js';
import { wavedPacks } from './testing/waved-packs.js';
import { EngineError, EngineErrorCode } from './errors.js';

const charts = join(import.meta.dirname, 'conformance', 'charts');

const chartPack = (path: string): HelmPack =>
  helmPack({
    name: path,
    namespace: packNamespace('ns'),
    chart: { kind: ChartSourceKind.Local, path },
    releaseName: 'conf',
  });

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

describe('renderPack: what helm install prints and checks', () => {
  it("renders a local chart's NOTES.txt as helm install prints it, with the cluster's capabilities, and applies nothing of it", async () => {
    const { objects, notes } = await render('notes');
    expect(notes).toBe(
      [
        'Thank you for installing notes 0.1.0.',
        '',
        'Release conf in namespace ns says hello.',
        'Rendered for Kubernetes 1.34.',
        'Password: s3cret-from-values',
      ].join('\n'),
    );
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/notes-config']);
  });

  it('renders the notes of a chart stored as an archive, as the hub stores local charts', async () => {
    const out = mkdtempSync(join(tmpdir(), 'strata-render-test-'));
    await promisify(execFile)(helmBin(), ['package', `--destination=${out}`, '--', join(charts, 'notes')]);
    const { notes } = await renderPack(chartPack('notes'), {
      cluster: 'c',
      profile: 'p',
      chartFile: join(out, 'notes-0.1.0.tgz'),
      helmBin: helmBin(),
    });
    expect(notes).toContain('Release conf in namespace ns says hello.');
  });

  it('has no notes for a chart without NOTES.txt', async () => {
    expect((await render('schema')).notes).toBeUndefined();
  });

  it('renders subcharts by their condition and tags, and a library chart through its parent', async () => {
    const { objects } = await render('subcharts');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/enabled-sub',
      'ConfigMap/parent-config',
    ]);
  });

  it('renders subcharts stored as archives inside a chart archive as it renders them from folders', async () => {
    // The render writes each subchart archive out unpacked (review 9, item 2): helm must read the same chart.
    const out = mkdtempSync(join(tmpdir(), 'strata-render-test-'));
    const root = join(charts, 'subcharts');
    const subs = await Promise.all(
      readdirSync(join(root, 'charts')).map(async (name) => {
        const { stdout } = await promisify(execFile)(helmBin(), [
          'package',
          `--destination=${join(out, name)}`,
          '--',
          join(root, 'charts', name),
        ]);
        const archive = stdout.trim().replace(/^.*saved it to: /, '');
        return { path: `subcharts/charts/${basename(archive)}`, content: readFileSync(archive) };
      }),
    );
    const own = ['Chart.yaml', 'values.yaml', 'templates/configmap.yaml'].map((at) => ({
      path: `subcharts/${at}`,
      content: readFileSync(join(root, at)),
    }));
    const chartFile = join(out, 'subcharts.tgz');
    writeFileSync(chartFile, writeTarGz([...own, ...subs]));
    const options = {
      cluster: 'c',
      profile: 'p',
      helmBin: helmBin(),
      capabilities: { kubeVersion: 'v1.34.1', apiVersions: [] },
    };
    const values = { tags: { extras: true }, disabledSub: { enabled: true } };
    const counts: number[] = [];
    for (const pack of [chartPack('subcharts'), { ...chartPack('subcharts'), values }]) {
      const fromArchive = await renderPack(pack, { ...options, chartFile });
      const fromFolders = await renderPack(pack, { ...options, chartFile: root });
      expect(fromArchive.objects).toEqual(fromFolders.objects);
      counts.push(fromArchive.objects.length);
    }
    // The values turn two more subcharts on: the comparison covers conditions and tags.
    expect(counts).toEqual([2, 4]);
  });

  it("fails a pack whose values break the chart's values.schema.json, naming each field as Helm does", async () => {
    const pack = { ...chartPack('schema'), values: { replicas: 'two', mode: 'slow' } };
    await expect(
      renderPack(pack, {
        cluster: 'c',
        profile: 'p',
        chartFile: join(charts, 'schema'),
        helmBin: helmBin(),
      }),
    ).rejects.toThrow(
      "helm template failed: values don't meet the specifications of the schema(s) in the following chart(s):\nschema:\n- at '/mode': value must be one of 'fast', 'safe'\n- at '/replicas': got string, want integer",
    );
  });

  it("lists a schema's violations in one order, where Helm's changes from run to run", () => {
    expect(stableLists('chart(s):\nschema:\n- at b\n- at a\nsub:\n- at d\n- at c')).toBe(
      'chart(s):\nschema:\n- at a\n- at b\nsub:\n- at c\n- at d',
    );
  });
});

describe('parseManifestStream', () => {
  it("gives the documents of a crds/ file Helm prints as is (a comment, then `---`) that file's source", () => {
    const text = [
      '---',
      '# Source: kps/charts/crds/crds/crd-alertmanagers.yaml',
      '# https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/example/crd.yaml',
      '---',
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      'metadata: { name: alertmanagers.monitoring.coreos.com }',
      '---',
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      'metadata: { name: probes.monitoring.coreos.com }',
      '---',
      '# Source: kps/templates/cm.yaml',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: { name: cm }',
      'data:',
      '  script: |',
      '    # Source: not a source line, but the content of a value',
      '',
    ].join('\n');
    expect(parseManifestStream(text, 'chart').map((e) => `${e.object.metadata.name} ${e.where}`)).toEqual([
      'alertmanagers.monitoring.coreos.com kps/charts/crds/crds/crd-alertmanagers.yaml',
      'probes.monitoring.coreos.com kps/charts/crds/crds/crd-alertmanagers.yaml',
      'cm kps/templates/cm.yaml',
    ]);
  });

  it('refuses a repeated key with the message it always gave, at the repeat', () => {
    const text = [
      '---',
      '# Source: c/templates/cm.yaml',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: x',
      'data:',
      '  a: 1',
      '  b: 2',
      '  a: 3',
      '',
    ].join('\n');
    expect(() => parseManifestStream(text, 'chart of pack web')).toThrow(
      new EngineError(
        EngineErrorCode.RenderFailed,
        'chart of pack web: c/templates/cm.yaml: invalid YAML: Map keys must be unique at line 10, column 3:\n\n  b: 2\n  a: 3\n  ^\n',
      ),
    );
  });

  it('reads a ConfigMap of 100,000 keys a template looped out (the yaml library alone took minutes)', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `  k${i.toString(36)}: v`);
    const text = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: { name: big }', 'data:', ...keys, ''].join(
      '\n',
    );
    const [entry] = parseManifestStream(text, 'chart');
    expect(Object.keys(entry?.object.data ?? {})).toHaveLength(100_000);
  }, 60_000);
});

describe('revision', () => {
  it('is the first 16 hex digits of the sha256 of what the pack renders, as stored revisions were made', async () => {
    const [pack] = wavedPacks(1, 1);
    if (pack === undefined) throw new Error('no pack');
    const rendered = await renderPack(pack.pack, { cluster: 'c', profile: 'apps', helmBin: helmBin() });
    // A revision made another way would differ from the one every stored status holds: each green pack would
    // be applied again as an upgrade after the hub restarts.
    const digest = createHash('sha256')
      .update(JSON.stringify({ objects: rendered.objects, hooks: [] }))
      .digest('hex');
    expect(rendered.revision).toBe(digest.slice(0, 16));
  });
});
