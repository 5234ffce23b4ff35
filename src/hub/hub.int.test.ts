import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileUpload } from '../profile/index.js';
import { createStore, type Store } from '../store/index.js';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { helmBin, repoRoot } from '../engine/testing/runner.js';
import { Hub, type HubEvent } from './hub.js';
import { HubError, HubErrorCode } from './errors.js';

const CP = 'hub-it';
const admin = { name: 'test-admin' };
const examples = join(repoRoot, 'examples');
let cp: ControlPlaneState;
let store: Store;
let hub: Hub;

beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 3 });
  store = await createStore({ url: ':memory:', secretKey: randomBytes(32) });
  hub = await Hub.open({ store, helmBin: helmBin(), accessTimeoutMs: 3000, log: () => undefined });
});

afterAll(async () => {
  await hub.close();
  await store.close();
  await down({ name: CP });
});

/** Resolves when `predicate` holds for the cluster's page, re-checked on every hub event (no polling). */
function pageUntil(
  cluster: string,
  predicate: (page: Awaited<ReturnType<Hub['clusterPage']>>) => boolean,
  timeoutMs: number,
) {
  return new Promise<Awaited<ReturnType<Hub['clusterPage']>>>((resolve, reject) => {
    let last = '';
    const check = async () => {
      const page = await hub.clusterPage(cluster);
      last = page.packs.map((p) => `${p.name}:${p.phase} ${p.message}`).join('\n');
      if (predicate(page)) {
        unsubscribe();
        clearTimeout(timer);
        resolve(page);
      }
    };
    const unsubscribe = hub.subscribe(() => void check());
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out; packs:\n${last}`));
    }, timeoutMs);
    void check();
  });
}

describe('the hub', () => {
  it('registers a cluster, imports and attaches the example profiles, and the page goes green with events stored', async () => {
    const kubeconfig = readFileSync(cp.kubeconfig, 'utf8');
    const cluster = await hub.registerCluster({ name: 'local', kubeconfig }, admin);
    expect(cluster).toMatchObject({ name: 'local', reachable: true, packs: 0, server: cp.server });

    for (const file of ['infra.yaml', 'monitoring.yaml', 'platform-tools.yaml']) {
      await hub.importProfile({ ...(await profileUpload(join(examples, file))), file }, admin);
    }
    expect((await hub.listProfiles()).map((p) => p.name).sort()).toEqual([
      'local-infra',
      'monitoring',
      'platform-tools',
    ]);

    const events: HubEvent[] = [];
    const unsubscribe = hub.subscribe((e) => events.push(e));
    await hub.attach({ cluster: 'local', profile: 'local-infra' }, admin);
    await hub.attach(
      { cluster: 'local', profile: 'monitoring', values: { adminPassword: 'correct-horse-battery' } },
      admin,
    );
    await hub.attach({ cluster: 'local', profile: 'platform-tools' }, admin);
    const page = await pageUntil(
      'local',
      (p) => p.packs.length > 0 && p.packs.every((x) => x.phase === 'success'),
      120_000,
    );
    unsubscribe();

    expect(page.cluster).toMatchObject({ phase: 'success', reachable: true });
    expect(page.packs.map((p) => p.order)).toEqual([...page.packs.keys()]);
    expect(page.packs[0]).toMatchObject({ layer: 'os', color: 'green', icon: '✓', label: 'Success' });
    // The sensitive value never leaves the store in a view.
    expect(JSON.stringify(page)).not.toContain('correct-horse-battery');
    const monitoring = page.attachments.find((a) => a.profile === 'monitoring');
    expect(monitoring?.sensitive).toEqual(['adminPassword']);
    expect(monitoring?.values).not.toHaveProperty('adminPassword');

    // Every change was persisted as an event with strictly increasing ids, transitions included.
    await hub.flush();
    const stored = await hub.eventsSince(0, { cluster: 'local' });
    expect(stored.some((e) => e.kind === 'pack.transition')).toBe(true);
    const ids = stored.map((e) => e.id ?? 0);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(events.filter((e) => e.id !== undefined).length).toBeGreaterThan(0);
    const { transitions: history } = await hub.packHistory('local', 'sim-cni');
    expect(history.map((t) => t.to)).toEqual(expect.arrayContaining(['processing', 'success']));

    // A Helm pack's values as passed to helm: macros resolved, the sensitive value masked.
    const dashboards = await hub.packValues('local', 'dashboards');
    expect(dashboards).toMatchObject({
      pack: 'dashboards',
      profile: 'monitoring',
      profileVersion: '2.1.0',
      type: 'helm',
      chart: 'local charts/dashboards',
      namespace: 'monitoring',
      masked: true,
      values: {
        replicas: 2,
        config: { ADMIN_PASSWORD: '******', TITLE: 'monitoring 2.1.0 on local' },
      },
    });
    expect(dashboards.yaml).toContain('ADMIN_PASSWORD: "******"');
    expect(JSON.stringify(dashboards)).not.toContain('correct-horse-battery');
    expect(await hub.packValues('local', 'metrics-store')).toMatchObject({
      masked: false,
      values: { config: { RETENTION: '15d', EXTERNAL_LABEL_CLUSTER: 'local' } },
    });
    await expect(hub.packValues('local', 'no-such-pack')).rejects.toThrow(
      'pack "local/no-such-pack" not found',
    );

    // Someone deletes an object a pack owns: the page says so on the pack, and the object is put back.
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    const drifts: HubEvent[] = [];
    const stop = hub.subscribe((e) => {
      if (e.kind === 'pack.drift') drifts.push(e);
    });
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespacedLimitRange({ name: 'tenant-a-defaults', namespace: 'tenant-a' });
    const healed = await pageUntil(
      'local',
      (p) => {
        const quotas = p.packs.find((x) => x.name === 'tenant-quotas');
        return quotas?.lastDrift !== undefined && quotas.phase === 'success';
      },
      30_000,
    );
    stop();
    const drift = { message: 'drift: LimitRange tenant-a/tenant-a-defaults deleted', correcting: true };
    expect(healed.packs.find((x) => x.name === 'tenant-quotas')?.lastDrift).toMatchObject(drift);
    expect(drifts).toHaveLength(1);
    expect(drifts[0]).toMatchObject({ kind: 'pack.drift', pack: 'tenant-quotas', data: drift });
    expect(healed.packs.filter((x) => x.lastDrift !== undefined).map((x) => x.name)).toEqual([
      'tenant-quotas',
    ]);
  });

  it('previews a change per pack before applying it, then applies it', async () => {
    const diff = await hub.previewAttachment({ cluster: 'local', profile: 'platform-tools', values: {} });
    expect(diff.every((d) => d.change === 'unchanged')).toBe(true);
    // A plain value given as it is: unchanged, though the plan shown stands in for the stored secret (it said
    // "a sensitive value changed": review 15, item 4).
    const same = await hub.previewAttachment({
      cluster: 'local',
      profile: 'monitoring',
      values: { retention: '15d' },
    });
    expect(same.map((d) => d.change)).toEqual(same.map(() => 'unchanged'));
    // A sensitive value given to a preview is never compared with the stored one: the right guess and a wrong
    // one answer the same, so a preview cannot be used to guess it.
    const guess = (adminPassword: string) =>
      hub.previewAttachment({ cluster: 'local', profile: 'monitoring', values: { adminPassword } });
    const right = await guess('correct-horse-battery');
    expect(right).toEqual(await guess('wrong-guess-of-twelve'));
    const using = right.filter((d) => d.change === 'changed');
    expect(using.length).toBeGreaterThan(0);
    for (const d of using)
      expect(d.changes).toEqual(['a sensitive value was given (never compared with the stored one)']);
    expect(JSON.stringify(right)).not.toContain('correct-horse-battery');

    // Nor through a plain variable: a given value that equals the stored secret (or holds it) comes back as
    // typed, as a wrong guess does (it used to come back masked), in the diff and in an error alike. Version
    // 2.1.2 adds a plain variable to the pack that uses the secret.
    const withTitle = readFileSync(join(examples, 'monitoring.yaml'), 'utf8')
      .replace('version: 2.1.0', 'version: 2.1.2')
      .replace('  variables:\n', '  variables:\n    - name: title\n      default: dashboards\n')
      .replace(
        "TITLE: '{{ .strata.profile.name }}",
        "TITLE: '{{ .strata.var.title }} {{ .strata.profile.name }}",
      );
    expect(withTitle).toContain('{{ .strata.var.title }}');
    await hub.importProfile(
      { ...(await profileUpload(join(examples, 'monitoring.yaml'), withTitle)), file: 'monitoring.yaml' },
      admin,
    );
    const plain = async (values: Record<string, string>, given: string) => {
      const answer = await hub
        .previewAttachment({ cluster: 'local', profile: 'monitoring', version: '2.1.2', values })
        .catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
      return JSON.stringify(answer).replaceAll(given, '<given>');
    };
    for (const [right, wrong] of [
      ['correct-horse-battery', 'wrong-guess-of-twelve'],
      ['a correct-horse-battery b', 'a wrong-guess-of-twelve b'],
    ] as const) {
      const shown = await plain({ title: right }, right);
      expect(shown).toContain('<given>');
      expect(shown).toEqual(await plain({ title: wrong }, wrong));
      expect(await plain({ retention: right }, right)).toEqual(await plain({ retention: wrong }, wrong));
    }

    // A version that calls the sealed variable plain is refused before any value is resolved: it would show the
    // stored secret in the diff, in a regex error, and store it unsealed.
    const unsealing = readFileSync(join(examples, 'monitoring.yaml'), 'utf8')
      .replace('version: 2.1.0', 'version: 2.1.3')
      .replace("      sensitive: true\n      regex: '.{12,}'", "      sensitive: false\n      regex: '^x+'");
    expect(unsealing).toContain("sensitive: false\n      regex: '^x+'");
    await hub.importProfile(
      { ...(await profileUpload(join(examples, 'monitoring.yaml'), unsealing)), file: 'monitoring.yaml' },
      admin,
    );
    const sealedError =
      /variable "adminPassword" of profile "monitoring" on cluster "local" is stored sealed \(sensitive\), but version 2\.1\.3 does not declare it sensitive/;
    await expect(
      hub.previewAttachment({ cluster: 'local', profile: 'monitoring', version: '2.1.3' }),
    ).rejects.toThrow(sealedError);
    await expect(
      hub.updateAttachment({ cluster: 'local', profile: 'monitoring', version: '2.1.3' }, admin),
    ).rejects.toMatchObject({
      code: 'SEALED_VALUE',
      message: expect.not.stringContaining('correct-horse') as unknown,
    });
    const kept = (await hub.listAttachments('local')).find((a) => a.profile === 'monitoring');
    expect(kept).toMatchObject({ version: '2.1.0', sensitive: ['adminPassword'] });
    expect(kept?.values).not.toHaveProperty('adminPassword');

    const yaml = readFileSync(join(examples, 'platform-tools.yaml'), 'utf8')
      .replace('version: 1.2.0', 'version: 1.3.0')
      .replace(/^ {2}version: (\S+)/m, '  version: 9.9.9');
    await hub.importProfile(
      { ...(await profileUpload(join(examples, 'platform-tools.yaml'), yaml)), file: 'platform-tools.yaml' },
      admin,
    );
    const attachments = await hub.listAttachments('local');
    expect(attachments.find((a) => a.profile === 'platform-tools')?.updateAvailable).toBe('9.9.9');
    const preview = await hub.previewAttachment({
      cluster: 'local',
      profile: 'platform-tools',
      version: '9.9.9',
    });
    expect(preview.find((d) => d.pack === 'echo')).toEqual({
      pack: 'echo',
      profile: 'platform-tools',
      change: 'changed',
      fromVersion: '1.2.0',
      toVersion: '1.3.0',
      changes: ['version: "1.2.0" → "1.3.0"'],
    });
    expect(preview.find((d) => d.pack === 'tenant-quotas')?.change).toBe('unchanged');
    expect(preview.find((d) => d.pack === 'sim-cni')?.change).toBe('unchanged');
  });

  it('detaching a profile uninstalls its packs and they leave the page', async () => {
    await hub.detach('local', 'platform-tools', admin);
    const page = await pageUntil(
      'local',
      (p) => !p.packs.some((x) => x.profile === 'platform-tools'),
      60_000,
    );
    expect(page.packs.every((p) => p.phase === 'success')).toBe(true);
  });

  it('a new hub on the same store picks the cluster up where the old one left it', async () => {
    await hub.close();
    hub = await Hub.open({ store, helmBin: helmBin(), accessTimeoutMs: 3000, log: () => undefined });
    const page = await pageUntil(
      'local',
      (p) => p.packs.length > 0 && p.packs.every((x) => x.phase === 'success'),
      60_000,
    );
    expect(page.packs.some((p) => p.name === 'sim-cni')).toBe(true);
    // History from before the restart is still there.
    expect((await hub.packHistory('local', 'sim-cni')).transitions.length).toBeGreaterThan(0);
  });

  it('refuses bad clusters with a code naming the cause, storing nothing', async () => {
    const attempt = (kubeconfig: string, name = 'bad') => hub.registerCluster({ name, kubeconfig }, admin);
    await expect(attempt('not: [a kubeconfig')).rejects.toMatchObject({
      code: HubErrorCode.KubeconfigInvalid,
    });
    const unreachable = readFileSync(cp.kubeconfig, 'utf8').replace(cp.server, 'https://127.0.0.1:1');
    await expect(attempt(unreachable)).rejects.toMatchObject({ code: HubErrorCode.ClusterUnreachable });
    await expect(attempt(readFileSync(cp.kubeconfig, 'utf8'), 'local')).rejects.toMatchObject({
      code: HubErrorCode.ClusterExists,
    });
    await expect(attempt(readFileSync(cp.kubeconfig, 'utf8'), 'Not_A_Name')).rejects.toBeInstanceOf(HubError);
    expect((await hub.listClusters()).map((c) => c.name)).toEqual(['local']);
  });

  it('refuses invalid profiles with positioned issues and attachments that do not fit', async () => {
    const issues = await hub.validateProfile({
      yaml: 'apiVersion: strata.dev/v1alpha1\nkind: ClusterProfile\nmetadata: { name: x }\nspec: { version: 1.0.0, type: add-on, packs: [{ name: a, layer: network, version: 1.0.0, type: manifest }] }\n',
      file: 'x.yaml',
    });
    expect(issues[0]).toMatchObject({ file: 'x.yaml', line: 4 });
    expect(issues.map((i) => i.message).join('\n')).toContain('expected one of os, k8s, cni, csi, addon');
    await expect(hub.attach({ cluster: 'local', profile: 'monitoring' }, admin)).rejects.toMatchObject({
      code: HubErrorCode.AttachmentExists,
    });
    await expect(hub.attach({ cluster: 'local', profile: 'nope' }, admin)).rejects.toMatchObject({
      code: HubErrorCode.NotFound,
    });
  });

  it('never lets a sensitive value out, not even when a failure message echoes it', async () => {
    const yaml = [
      'apiVersion: strata.dev/v1alpha1',
      'kind: ClusterProfile',
      'metadata: { name: secretive }',
      'spec:',
      '  version: 1.0.0',
      '  type: add-on',
      '  variables:',
      '    - { name: tag, sensitive: true, required: true }',
      '  packs:',
      '    - name: leaky',
      '      layer: addon',
      '      version: 1.0.0',
      '      type: manifest',
      '      namespace: leaky',
      '      manifests:',
      '        - apiVersion: apps/v1',
      '          kind: Deployment',
      '          metadata: { name: leaky }',
      '          spec:',
      '            selector: { matchLabels: { app: leaky } }',
      '            template:',
      '              metadata: { labels: { app: leaky }, annotations: { testenv.strata.dev/behavior: image-pull-backoff } }',
      '              spec: { containers: [{ name: main, image: "registry.local/leaky:{{ .strata.var.tag }}" }] }',
      '',
    ].join('\n');
    await hub.importProfile({ yaml, file: 'secretive.yaml' }, admin);
    const streamed: HubEvent[] = [];
    const unsubscribe = hub.subscribe((e) => streamed.push(e));
    await hub.attach({ cluster: 'local', profile: 'secretive', values: { tag: 'sekrit-tag-4711' } }, admin);
    const page = await pageUntil(
      'local',
      (p) => p.packs.some((x) => x.name === 'leaky' && x.phase === 'failed'),
      60_000,
    );
    unsubscribe();
    await hub.flush();
    const leaky = page.packs.find((p) => p.name === 'leaky');
    expect(leaky?.message).toContain('registry.local/leaky:******');
    expect(JSON.stringify(page)).not.toContain('sekrit-tag-4711');
    expect(JSON.stringify(streamed)).not.toContain('sekrit-tag-4711');
    expect(JSON.stringify(await hub.eventsSince(0, { cluster: 'local' }))).not.toContain('sekrit-tag-4711');
    expect(JSON.stringify(await hub.packHistory('local', 'leaky'))).not.toContain('sekrit-tag-4711');
    // A manifest pack's objects, resolved, with the sensitive value masked in place.
    const values = await hub.packValues('local', 'leaky');
    expect(values).toMatchObject({ type: 'manifest', namespace: 'leaky', masked: true });
    expect(values.yaml).toContain('image: registry.local/leaky:******');
    expect(JSON.stringify(values)).not.toContain('sekrit-tag-4711');
    await hub.detach('local', 'secretive', admin);
  });
});
