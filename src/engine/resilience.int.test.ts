import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchV1Api, KubeConfig, AppsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssues, loadProfileFiles } from '../profile/index.js';
import { PackConditionType, PackPhase } from '../status/index.js';
import { Component, crash, down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { deploymentProfile, desiredOrThrow, startRunner } from './testing/runner.js';

const CP = 'engine-resilience-it';
let cp: ControlPlaneState;
let kc: KubeConfig;
const dir = mkdtempSync(join(tmpdir(), 'strata-engine-'));

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 2 });
  kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
});

afterAll(async () => {
  await down({ name: CP });
});

describe('connection loss', () => {
  it('an API server crash mid-install shows the cluster unreachable, keeps colours marked stale, and resumes', async () => {
    const { runner, log } = await startRunner(cp.kubeconfig, 'outage');
    try {
      const profiles = await deploymentProfile(dir, {
        name: 'outage',
        version: '1.0.0',
        namespace: 'outage',
        packs: [
          { name: 'first', readyAfter: '4s' },
          { name: 'second', priority: 10 },
        ],
      });
      runner.setDesired(desiredOrThrow(profiles, { cluster: 'outage' }));
      await log.until(
        (l) => l.phases().first === PackPhase.Processing && l.latest().get('first')?.stage.type === 'Applied',
        {
          timeoutMs: 30_000,
          what: 'first applied and converging',
        },
      );

      const restart = await crash({ name: CP, component: Component.ApiServer });
      let restarted = false;
      try {
        await log.until((l) => l.events.some((e) => e.type === 'ConnectionChanged' && !e.reachable), {
          timeoutMs: 30_000,
          what: 'the outage to be reported',
        });
        const outage = log.events.find((e) => e.type === 'ConnectionChanged' && !e.reachable);
        expect(outage?.type === 'ConnectionChanged' ? outage.error : '').toMatch(
          /^cannot reach the API server: /,
        );
        expect(runner.isReachable).toBe(false);
        expect(runner.statuses().every((s) => s.stale)).toBe(true);
        // The last known colour is kept, not turned red by the outage.
        expect(log.phases().first).toBe(PackPhase.Processing);

        await restart();
        restarted = true;
        await log.until((l) => l.events.some((e) => e.type === 'ConnectionChanged' && e.reachable), {
          timeoutMs: 60_000,
          what: 'the recovery to be reported',
        });
      } finally {
        // Never leave the API server down for the tests after this one.
        if (!restarted) await restart();
      }
      await log.until((l) => l.allGreen(['first', 'second']), {
        timeoutMs: 60_000,
        what: 'both green after the outage',
      });
      expect(runner.statuses().some((s) => s.stale)).toBe(false);
    } finally {
      runner.stop();
    }
  });
});

describe('permanent errors', () => {
  it('an object the API server rejects turns the pack red at once with the server message', async () => {
    const { runner, log } = await startRunner(cp.kubeconfig, 'invalid');
    try {
      const file = join(dir, 'invalid.yaml');
      writeFileSync(
        file,
        [
          'apiVersion: strata.dev/v1alpha1',
          'kind: ClusterProfile',
          'metadata: { name: invalid }',
          'spec:',
          '  version: 1.0.0',
          '  type: add-on',
          '  packs:',
          '    - name: negative',
          '      layer: addon',
          '      version: 1.0.0',
          '      type: manifest',
          '      namespace: invalid',
          '      manifests:',
          '        - apiVersion: apps/v1',
          '          kind: Deployment',
          '          metadata: { name: negative }',
          '          spec:',
          '            replicas: -1',
          '            selector: { matchLabels: { app: negative } }',
          '            template:',
          '              metadata: { labels: { app: negative } }',
          '              spec: { containers: [{ name: main, image: "registry.local/x:1" }] }',
          '',
        ].join('\n'),
      );
      const loaded = await loadProfileFiles([file]);
      if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
      runner.setDesired(desiredOrThrow(loaded.value, { cluster: 'invalid' }));
      await log.until((l) => l.phases().negative === PackPhase.Failed, {
        timeoutMs: 20_000,
        what: 'negative red',
      });
      const status = log.latest().get('negative');
      expect(status?.condition).toBe(PackConditionType.Error);
      expect(status?.message).toContain('Deployment invalid/negative');
      expect(status?.message).toContain(
        'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      );
      // Red at once: no retries before it.
      const stages = log.events.flatMap((e) => (e.type === 'PackStatusChanged' ? [e.status.stage.type] : []));
      expect(stages).not.toContain('Retrying');
    } finally {
      runner.stop();
    }
  });
});

describe('Helm hooks', () => {
  it('runs pre-install hooks before the chart objects and post-install hooks after, counting them while they run', async () => {
    const chart = join(dir, 'hooked');
    mkdirSync(join(chart, 'templates'), { recursive: true });
    writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: hooked\nversion: 0.1.0\n');
    const job = (name: string, hook: string, policy: string) =>
      [
        'apiVersion: batch/v1',
        'kind: Job',
        'metadata:',
        `  name: ${name}`,
        '  annotations:',
        `    helm.sh/hook: ${hook}`,
        `    helm.sh/hook-delete-policy: ${policy}`,
        'spec:',
        '  backoffLimit: 0',
        '  template:',
        '    metadata:',
        '      annotations: { testenv.strata.dev/complete-after: "2s" }',
        '    spec:',
        '      restartPolicy: Never',
        '      containers: [{ name: main, image: "registry.local/migrate:1" }]',
        '',
      ].join('\n');
    writeFileSync(
      join(chart, 'templates', 'migrate.yaml'),
      job('migrate', 'pre-install', 'before-hook-creation'),
    );
    writeFileSync(join(chart, 'templates', 'smoke.yaml'), job('smoke', 'post-install', 'hook-succeeded'));
    writeFileSync(
      join(chart, 'templates', 'app.yaml'),
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: { name: app }',
        'spec:',
        '  selector: { matchLabels: { app: hooked } }',
        '  template:',
        '    metadata: { labels: { app: hooked } }',
        '    spec: { containers: [{ name: main, image: "registry.local/app:1" }] }',
        '',
      ].join('\n'),
    );
    const file = join(dir, 'hooked-profile.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: strata.dev/v1alpha1',
        'kind: ClusterProfile',
        'metadata: { name: hooked }',
        'spec:',
        '  version: 1.0.0',
        '  type: add-on',
        '  packs:',
        '    - { name: hooked, layer: addon, version: 0.1.0, type: helm, chart: { path: hooked }, namespace: hooks }',
        '',
      ].join('\n'),
    );
    const loaded = await loadProfileFiles([file]);
    if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
    const { runner, log } = await startRunner(cp.kubeconfig, 'hooks');
    try {
      runner.setDesired(desiredOrThrow(loaded.value, { cluster: 'hooks' }));
      await log.until((l) => l.allGreen(['hooked']), { timeoutMs: 60_000, what: 'hooked green' });
      const batch = kc.makeApiClient(BatchV1Api);
      const apps = kc.makeApiClient(AppsV1Api);
      const migrate = await batch.readNamespacedJob({ name: 'migrate', namespace: 'hooks' });
      const app = await apps.readNamespacedDeployment({ name: 'app', namespace: 'hooks' });
      const completed = migrate.status?.completionTime;
      const created = app.metadata?.creationTimestamp;
      expect(completed && created && new Date(completed).getTime() <= new Date(created).getTime()).toBe(true);
      // The post-install hook ran after the Deployment existed, succeeded, and was deleted as its policy says.
      const statuses = log.events.flatMap((e) => (e.type === 'PackStatusChanged' ? [e.status] : []));
      expect(
        statuses.some((s) =>
          s.resources.some((r) => r.ref.name === 'smoke' && r.evaluation.state === 'Ready'),
        ),
      ).toBe(true);
      await expect(batch.readNamespacedJob({ name: 'smoke', namespace: 'hooks' })).rejects.toThrow();
      // While hooks ran they counted toward progress.
      expect(statuses.some((s) => s.phase === PackPhase.Processing && s.progress.total === 3)).toBe(true);
    } finally {
      runner.stop();
    }
  });
});

describe('a chart whose templates allocate without end', () => {
  it('fails its own pack naming the memory limit, while the pack beside it installs', async () => {
    const chart = (name: string, template: string) => {
      const root = join(dir, name);
      mkdirSync(join(root, 'templates'), { recursive: true });
      writeFileSync(join(root, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);
      writeFileSync(join(root, 'templates', 'configmap.yaml'), template);
    };
    const configMap = (name: string, data: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { ${data} }\n`;
    // 2 GiB in one string: helm reached 2.0 GiB resident rendering it, and the pack went green.
    chart('hog', `{{- $s := repeat 2147483648 "x" }}\n${configMap('hog', 'n: "{{ len $s }}"')}`);
    chart('fine', configMap('fine', 'greeting: hello'));
    const file = join(dir, 'memory-profile.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: strata.dev/v1alpha1',
        'kind: ClusterProfile',
        'metadata: { name: memory }',
        'spec:',
        '  version: 1.0.0',
        '  type: add-on',
        '  packs:',
        '    - { name: hog, layer: addon, version: 0.1.0, type: helm, chart: { path: hog }, namespace: memory }',
        '    - { name: fine, layer: addon, version: 0.1.0, type: helm, chart: { path: fine }, namespace: memory }',
        '',
      ].join('\n'),
    );
    const loaded = await loadProfileFiles([file]);
    if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
    const { runner, log } = await startRunner(cp.kubeconfig, 'memory');
    try {
      runner.setDesired(desiredOrThrow(loaded.value, { cluster: 'memory' }));
      await log.until((l) => l.phases().hog === PackPhase.Failed && l.allGreen(['fine']), {
        timeoutMs: 60_000,
        what: 'hog red and fine green',
      });
      expect(log.latest().get('hog')?.message).toBe(
        'render failed: helm template hog exceeded its memory limit (1024 MiB)',
      );
    } finally {
      runner.stop();
    }
  });
});
