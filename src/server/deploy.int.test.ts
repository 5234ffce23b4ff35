// The deploy path through the HTTP API with a real control plane behind the hub, on both databases:
// register the cluster from its kubeconfig, import examples/platform-tools.yaml as YAML, attach, follow the
// SSE stream until every pack is green, and read the Cluster Profile page; then detach.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up, type ControlPlaneState } from '../../testenv/src/controlplane.js';
import { backends } from '../store/testing/backends.js';
import type { Problem } from './problem.js';
import { SseClient, startTestHub, type TestHub } from './testing/server.js';

const CP = 'server-it';
const examples = resolve(import.meta.dirname, '../../examples');

interface PageBody {
  cluster: { name: string; phase: string; color: string; counts: Record<string, number>; packs: number };
  attachments: { profile: string; version: string }[];
  packs: {
    name: string;
    phase: string;
    color: string;
    icon: string;
    label: string;
    order: number;
    progress: { ready: number; total: number };
    startTime?: string;
    endTime?: string;
  }[];
}

let cp: ControlPlaneState;
beforeAll(async () => {
  await down({ name: CP });
  cp = await up({ name: CP, nodes: 2 });
});
afterAll(async () => {
  await down({ name: CP });
});

describe.each(backends())('deploying through the API on $name', (backend) => {
  let t: TestHub;
  beforeAll(async () => {
    await backend.setup();
    t = await startTestHub(backend);
  });
  afterAll(async () => {
    await t.close();
    await backend.teardown();
  });

  it('refuses a kubeconfig with a wrong CA or bad credentials with 422, storing nothing', async () => {
    const good = readFileSync(cp.kubeconfig, 'utf8');
    const wrongCa = good.replace(
      /certificate-authority-data: \S+/,
      `certificate-authority-data: ${Buffer.from(otherCa()).toString('base64')}`,
    );
    const tls = await t.api('POST', '/api/v1/clusters', { body: { name: 'wrong-ca', kubeconfig: wrongCa } });
    expect(tls.status, tls.text).toBe(422);
    expect((tls.json as Problem).code).toBe('CLUSTER_TLS');
    const stranger = good
      .replace(/client-certificate-data: \S+\n/, '')
      .replace(/client-key-data: \S+/, 'token: not-a-real-token');
    const unauthorized = await t.api('POST', '/api/v1/clusters', {
      body: { name: 'stranger', kubeconfig: stranger },
    });
    expect(unauthorized.status, unauthorized.text).toBe(422);
    expect((unauthorized.json as Problem).code).toBe('CLUSTER_UNAUTHORIZED');
    expect(((await t.api('GET', '/api/v1/clusters')).json as unknown[]).length).toBe(0);
  });

  it('registers, imports, attaches and follows every pack to green over SSE', async () => {
    const cluster = `local-${backend.name}`;
    const events = await SseClient.open(t.url, { token: t.tokens.viewer, cluster });

    const registered = await t.api('POST', '/api/v1/clusters', {
      body: { name: cluster, kubeconfig: readFileSync(cp.kubeconfig, 'utf8') },
    });
    expect(registered.status, registered.text).toBe(201);
    expect(registered.json).toMatchObject({
      name: cluster,
      reachable: true,
      phase: 'success',
      color: 'green',
      packs: 0,
    });

    const yaml = readFileSync(resolve(examples, 'platform-tools.yaml'), 'utf8');
    const imported = await t.api('POST', `/api/v1/profiles?file=platform-tools.yaml`, {
      role: 'operator',
      raw: yaml,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(imported.status, imported.text).toBe(201);
    expect(imported.json).toEqual([
      expect.objectContaining({ name: 'platform-tools', version: '0.3.0', published: true }),
    ]);
    const versions = await t.api('GET', '/api/v1/profiles/platform-tools/versions', { role: 'viewer' });
    expect((versions.json as { version: string }[]).map((v) => v.version)).toEqual(['0.3.0']);
    const source = await t.api('GET', '/api/v1/profiles/platform-tools/versions/0.3.0', { role: 'viewer' });
    expect((source.json as { yaml: string }).yaml).toBe(yaml);

    const attached = await t.api('POST', `/api/v1/clusters/${cluster}/attachments`, {
      role: 'operator',
      body: { profile: 'platform-tools' },
    });
    expect(attached.status, attached.text).toBe(201);
    expect(attached.json).toMatchObject({ cluster, profile: 'platform-tools', version: '0.3.0' });

    const initial = (await t.api('GET', `/api/v1/clusters/${cluster}/page`, { role: 'viewer' }))
      .json as PageBody;
    const packNames = initial.packs.map((p) => p.name);
    expect(packNames).toEqual(['tenant-quotas', 'echo']);

    // Follow the stream (not the page) until every pack's last status says success.
    const lastPhase = () => {
      const phases = new Map<string, string>();
      for (const m of events.messages) {
        if (m.event !== 'pack.status' || m.data.pack === undefined) continue;
        phases.set(m.data.pack, (m.data.data as { phase: string }).phase);
      }
      return phases;
    };
    await events.until(
      () => packNames.every((p) => lastPhase().get(p) === 'success'),
      120_000,
      'every pack green',
    );
    // The stream showed each pack pass through processing on the way.
    const transitions = events.messages.filter((m) => m.event === 'pack.transition');
    for (const pack of packNames) {
      const tos = transitions
        .filter((m) => m.data.pack === pack)
        .map((m) => (m.data.data as { transition: { to: string } }).transition.to);
      expect(tos, pack).toContain('success');
    }
    await events.close();

    const page = (await t.api('GET', `/api/v1/clusters/${cluster}/page`, { role: 'viewer' }))
      .json as PageBody;
    expect(page.cluster).toMatchObject({ name: cluster, phase: 'success', color: 'green', packs: 2 });
    expect(page.cluster.counts).toEqual({ onboarding: 0, processing: 0, success: 2, failed: 0 });
    expect(page.attachments).toEqual([
      expect.objectContaining({ profile: 'platform-tools', version: '0.3.0' }),
    ]);
    for (const pack of page.packs) {
      expect(pack).toMatchObject({ phase: 'success', color: 'green', icon: '✓', label: 'Success' });
      expect(pack.progress.ready).toBe(pack.progress.total);
      expect(pack.startTime).toBeDefined();
      expect(pack.endTime).toBeDefined();
    }
    const list = (await t.api('GET', '/api/v1/clusters', { role: 'viewer' })).json as PageBody['cluster'][];
    expect(list).toEqual([
      expect.objectContaining({
        name: cluster,
        color: 'green',
        counts: { onboarding: 0, processing: 0, success: 2, failed: 0 },
      }),
    ]);

    const history = await t.api('GET', `/api/v1/clusters/${cluster}/packs/echo/history`, { role: 'viewer' });
    expect((history.json as { transitions: { to: string }[] }).transitions.at(-1)?.to).toBe('success');

    const values = await t.api('GET', `/api/v1/clusters/${cluster}/packs/echo/values`, { role: 'viewer' });
    expect(values.status, values.text).toBe(200);
    expect(values.json).toMatchObject({
      pack: 'echo',
      profile: 'platform-tools',
      type: 'manifest',
      masked: false,
    });
    // The macro is resolved for this cluster.
    expect((values.json as { yaml: string }).yaml).toContain(`value: hello from ${cluster}`);
    const timeline = await t.api('GET', `/api/v1/clusters/${cluster}/transitions`, { role: 'viewer' });
    expect(timeline.status, timeline.text).toBe(200);
    const perPack = (
      timeline.json as { packs: { pack: string; transitions: { from: string; to: string }[] }[] }
    ).packs;
    expect(perPack.map((p) => p.pack)).toEqual(['tenant-quotas', 'echo']);
    for (const p of perPack) {
      expect(p.transitions[0]?.from, p.pack).toBe('onboarding');
      expect(p.transitions.at(-1)?.to, p.pack).toBe('success');
    }
    const missing = await t.api('GET', `/api/v1/clusters/${cluster}/packs/nope/values`, { role: 'viewer' });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'NOT_FOUND', detail: `pack "${cluster}/nope" not found` });

    const preview = await t.api('POST', `/api/v1/clusters/${cluster}/attachments/platform-tools/preview`, {
      role: 'viewer',
      body: {},
    });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.json).toEqual(
      expect.arrayContaining([expect.objectContaining({ pack: 'echo', change: 'unchanged' })]),
    );

    expect((await t.api('POST', `/api/v1/clusters/${cluster}/resync`, { role: 'operator' })).status).toBe(
      202,
    );

    const metrics = (await t.api('GET', '/metrics', { role: 'viewer' })).text;
    expect(metrics).toMatch(new RegExp(`strata_packs\\{cluster="${cluster}",phase="success"\\} 2`));
    expect(metrics).toMatch(/strata_pack_transitions_total\{from="\w+",to="success"\} [1-9]/);
    expect(metrics).toMatch(/strata_pack_install_duration_seconds_count\{result="success"\} [1-9]/);

    // Every change was audited with the token that made it.
    const audit = await t.store.audit.list({ limit: 100 });
    const actions = audit.map((a) => `${a.action} by ${a.actor.name.replace(/-\d+$/, '')}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'cluster.register by test-admin',
        'attachment.create by test-operator',
        'cluster.resync by test-operator',
      ]),
    );

    // Detach (uninstall) and remove, so the next backend starts from a clean control plane.
    const detach = await t.api('DELETE', `/api/v1/clusters/${cluster}/attachments/platform-tools`, {
      role: 'operator',
    });
    expect(detach.status, detach.text).toBe(204);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const now = (await t.api('GET', `/api/v1/clusters/${cluster}/page`)).json as PageBody;
      if (now.packs.length === 0) break;
      if (Date.now() > deadline)
        throw new Error(`packs still there after detach: ${JSON.stringify(now.packs.map((p) => p.name))}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await t.api('DELETE', `/api/v1/clusters/${cluster}`)).status).toBe(204);
    expect((await t.api('GET', `/api/v1/clusters/${cluster}`)).status).toBe(404);
  });
});

/** A fresh self-signed CA nobody signed the API server's certificate with. */
function otherCa(): string {
  return execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      '/CN=other-ca',
      '-days',
      '1',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
}
