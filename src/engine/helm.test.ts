import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ChartSourceKind, type ChartSource, type HelmPack } from '../profile/index.js';
import { EngineError, EngineErrorCode } from './errors.js';
import { HELM_MAX_ARGS_BYTES, helmEnv, helmTemplate, templateArgs } from './helm.js';
import { Spawner } from './spawner.js';
import { helmPack, packNamespace } from './testing/packs.js';
import { helmBin } from './testing/runner.js';

const charts = join(import.meta.dirname, 'conformance', 'charts');

const probePack = (
  overrides: { chart?: ChartSource; releaseName?: string; namespace?: string } = {},
): HelmPack =>
  helmPack({
    name: 'probe',
    namespace: packNamespace(overrides.namespace ?? 'probe'),
    chart: overrides.chart ?? { kind: ChartSourceKind.Local, path: 'capabilities' },
    releaseName: overrides.releaseName ?? 'probe',
  });

describe('helm template argv (issue 12: no argument injection)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-helm-'));
  const marker = join(dir, 'post-renderer-ran');
  // A post-renderer that leaves a mark: if Helm ever reads a profile value as --post-renderer, it runs this.
  const script = join(dir, 'post-renderer.sh');
  writeFileSync(script, `#!/bin/sh\ntouch '${marker}'\ncat\n`, { mode: 0o755 });
  const hostile = `--post-renderer=${script}`;
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const repo = (change: Partial<{ repo: string; name: string; version: string }>): ChartSource => ({
    kind: ChartSourceKind.Repo,
    repo: 'https://charts.example.invalid',
    name: 'app',
    version: '1.0.0',
    ...change,
  });
  const cases: { field: string; pack: HelmPack }[] = [
    { field: 'chart.name', pack: probePack({ chart: repo({ name: hostile }) }) },
    { field: 'chart.repo', pack: probePack({ chart: repo({ repo: hostile }) }) },
    { field: 'chart.version', pack: probePack({ chart: repo({ version: hostile }) }) },
    {
      field: 'chart.oci',
      pack: probePack({ chart: { kind: ChartSourceKind.Oci, ref: hostile, version: '1' } }),
    },
    {
      field: 'chart.version',
      pack: probePack({ chart: { kind: ChartSourceKind.Oci, ref: 'oci://r.invalid/app', version: hostile } }),
    },
    { field: 'chart.path', pack: probePack({ chart: { kind: ChartSourceKind.Local, path: hostile } }) },
    { field: 'releaseName', pack: probePack({ releaseName: hostile }) },
    { field: 'namespace', pack: probePack({ namespace: hostile }) },
  ];

  it.each(cases)(
    'refuses a $field that starts with "-", naming the field, and runs nothing',
    async ({ field, pack }) => {
      const error = await helmTemplate(pack, { helmBin: helmBin(), ...chartFileFor(pack) }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EngineError);
      expect((error as EngineError).code).toBe(EngineErrorCode.RenderFailed);
      expect((error as EngineError).message).toContain(`${field} "${hostile}" starts with "-"`);
      expect(existsSync(marker)).toBe(false);
    },
  );

  it('sends a registry no login of this machine, not even one a credential helper on PATH would give', async () => {
    // Review 11: with no config, helm (oras-go) asks the platform's credential helper for the registry's login.
    const bin = join(dir, 'credential-helpers');
    mkdirSync(bin);
    for (const name of ['docker-credential-secretservice', 'docker-credential-pass'])
      writeFileSync(
        join(bin, name),
        `#!/bin/sh\necho '{"ServerURL":"","Username":"hubuser","Secret":"hubsecret"}'\n`,
        { mode: 0o755 },
      );
    const authorizations: string[] = [];
    const registry = createServer((req, res) => {
      authorizations.push(req.headers.authorization ?? '(none)');
      res.writeHead(401, { 'www-authenticate': 'Basic realm="r"', 'content-length': '0' }).end();
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    const { port } = registry.address() as AddressInfo;
    try {
      const env = helmEnv({ PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: dir });
      const stderr = await new Promise<string>((resolve) => {
        execFile(
          helmBin(),
          ['pull', `oci://127.0.0.1:${String(port)}/x/y`, '--version', '1.0.0', '--plain-http', '-d', dir],
          { env },
          (_error, _stdout, err) => {
            resolve(err);
          },
        );
      });
      expect(stderr).toContain('FetchReference');
      expect(authorizations.length).toBeGreaterThan(0);
      expect(authorizations.filter((a) => a !== '(none)')).toEqual([]);
    } finally {
      await new Promise((resolve) => registry.close(resolve));
    }
  });

  it("sends no login of the hub user's helm repositories with a chart URL under one, and runs none of its plugins", async () => {
    // Review 12, item 5: helm adds a configured repository's username and password to any chart URL under it, and
    // a URL's scheme runs the downloader plugin installed for it.
    const home = join(dir, 'hub-home');
    const plugin = join(home, '.local', 'share', 'helm', 'plugins', 'evil');
    mkdirSync(plugin, { recursive: true });
    const ran = join(dir, 'plugin-ran');
    writeFileSync(
      join(plugin, 'plugin.yaml'),
      `name: evil\nversion: 0.1.0\ndownloaders:\n  - command: run.sh\n    protocols: [evil]\n`,
    );
    writeFileSync(join(plugin, 'run.sh'), `#!/bin/sh\ntouch '${ran}'\n`, { mode: 0o755 });
    const authorizations: string[] = [];
    const repo = createServer((req, res) => {
      authorizations.push(req.headers.authorization ?? '(none)');
      res.writeHead(404, { 'content-length': '0' }).end();
    });
    await new Promise<void>((resolve) => repo.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((repo.address() as AddressInfo).port)}/charts`;
    // As `helm repo add private … --username hubuser --password hubsecret` and `helm repo update` leave them.
    mkdirSync(join(home, '.config', 'helm'), { recursive: true });
    mkdirSync(join(home, '.cache', 'helm', 'repository'), { recursive: true });
    writeFileSync(
      join(home, '.cache', 'helm', 'repository', 'private-index.yaml'),
      `apiVersion: v1\nentries:\n  app:\n    - { name: app, version: 1.0.0, apiVersion: v2, urls: ["${url}/app-1.0.0.tgz"] }\n`,
    );
    writeFileSync(
      join(home, '.config', 'helm', 'repositories.yaml'),
      `apiVersion: ""\nrepositories:\n  - name: private\n    url: ${url}\n    username: hubuser\n    password: hubsecret\n`,
    );
    const template = (env: NodeJS.ProcessEnv, chart: string) =>
      new Promise<string>((resolve) => {
        execFile(helmBin(), ['template', 'x', chart], { env }, (_error, _stdout, err) => {
          resolve(err);
        });
      });
    const machine = { PATH: process.env.PATH ?? '', HOME: home };
    try {
      // What the test stands on: helm run with the hub user's own folders sends the login and runs the plugin.
      await template(machine, `${url}/app-1.0.0.tgz`);
      expect(authorizations).toEqual([`Basic ${Buffer.from('hubuser:hubsecret').toString('base64')}`]);
      await template(machine, 'evil://x/app-1.0.0.tgz');
      expect(existsSync(ran)).toBe(true);
      rmSync(ran);

      authorizations.length = 0;
      expect(await template(helmEnv(machine), `${url}/app-1.0.0.tgz`)).toContain('404');
      expect(authorizations).toEqual(['(none)']);
      expect(await template(helmEnv(machine), 'evil://x/app-1.0.0.tgz')).toContain('evil');
      expect(existsSync(ran)).toBe(false);
    } finally {
      await new Promise((resolve) => repo.close(resolve));
    }
  });

  it("gives helm none of the hub's secrets from its environment, only paths, proxies and Helm's own, and no registry logins", async () => {
    // A stand-in helm that prints the environment it was given.
    const printEnv = join(dir, 'print-env.sh');
    writeFileSync(printEnv, '#!/bin/sh\nenv\n', { mode: 0o755 });
    const set = {
      STRATA_SECRET_KEY: 'secret-key-0123',
      STRATA_DATABASE_URL: 'postgres://strata:db-password-0123@db/strata',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-0123',
      HTTPS_PROXY: 'http://proxy.test:3128',
      HELM_CACHE_HOME: '/var/cache/helm-test',
      HELM_NAMESPACE: 'not-this-one',
      // This user's registry logins: helm would send them to any token service a registry names.
      HELM_REGISTRY_CONFIG: '/home/hub/.config/helm/registry/config.json',
      DOCKER_CONFIG: '/home/hub/.docker',
    };
    const saved = Object.fromEntries(Object.keys(set).map((k) => [k, process.env[k]]));
    Object.assign(process.env, set);
    try {
      const printed = await helmTemplate(probePack(), { helmBin: printEnv, ...chartFileFor(probePack()) });
      expect(printed).not.toMatch(/0123/);
      expect(printed).toContain('HTTPS_PROXY=http://proxy.test:3128\n');
      expect(printed).toContain('HELM_CACHE_HOME=/var/cache/helm-test\n');
      expect(printed).toMatch(/^HELM_NAMESPACE=$/m);
      expect(printed).not.toContain('/home/hub');
      const registryConfig = /^HELM_REGISTRY_CONFIG=(.*)$/m.exec(printed)?.[1] ?? '';
      const dockerConfig = /^DOCKER_CONFIG=(.*)$/m.exec(printed)?.[1] ?? '';
      expect(registryConfig).toBe(join(dockerConfig, 'config.json'));
      expect(JSON.parse(readFileSync(registryConfig, 'utf8'))).toEqual({ auths: { 'strata.invalid': {} } });
      expect(printed).toMatch(/^PATH=/m);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) Reflect.deleteProperty(process.env, k);
        else process.env[k] = v;
      }
    }
  });

  it('joins each flag to its value and puts the release and chart after "--"', () => {
    const args = templateArgs(probePack({ chart: repo({}) }), {
      helmBin: 'helm',
      capabilities: { kubeVersion: 'v1.34.1', apiVersions: ['apps/v1', 'apps/v1/Deployment'] },
    });
    const dashDash = args.indexOf('--');
    expect(args.slice(dashDash)).toEqual(['--', 'probe', 'app']);
    expect(args.slice(1, dashDash).every((a) => a.startsWith('--'))).toBe(true);
    expect(args).toContain('--repo=https://charts.example.invalid');
    expect(args).toContain('--api-versions=apps/v1/Deployment');
  });

  it.each([
    ['a repository chart', repo({})],
    [
      'an OCI chart',
      { kind: ChartSourceKind.Oci, ref: 'oci://r.example.invalid/charts/app', version: '1.0.0' } as const,
    ],
  ])('renders %s pinned at publish from its stored archive, naming no remote', (_what, chart) => {
    const args = templateArgs(probePack({ chart }), {
      helmBin: 'helm',
      chartFile: '/var/lib/strata/charts/0abc.tgz',
    });
    expect(args.slice(args.indexOf('--'))).toEqual(['--', 'probe', '/var/lib/strata/charts/0abc.tgz']);
    expect(args.filter((a) => /^--(repo|version)=/.test(a))).toEqual([]);
    expect(args).not.toContain('--skip-schema-validation');
  });

  it("skips the values schema of a remote chart not pinned: no check ran on its $refs, which helm's validator loads", () => {
    const args = templateArgs(probePack({ chart: repo({}) }), { helmBin: 'helm' });
    expect(args.slice(0, args.indexOf('--'))).toContain('--skip-schema-validation');
    const local = templateArgs(probePack(), { helmBin: 'helm', chartFile: '/tmp/checked/web' });
    expect(local).not.toContain('--skip-schema-validation');
  });
});

describe('helm template renders like helm install', () => {
  const render = async (capabilities?: { kubeVersion: string; apiVersions: string[] }) => {
    const pack = probePack();
    const out = await helmTemplate(pack, { helmBin: helmBin(), ...chartFileFor(pack), capabilities });
    return (parse(out) as { data: Record<string, string> }).data;
  };

  it('passes the cluster version and every served API to the chart', async () => {
    const seen = await render({
      kubeVersion: 'v1.34.1',
      apiVersions: ['apps/v1', 'apps/v1/Deployment', 'example.strata.dev/v1', 'example.strata.dev/v1/Widget'],
    });
    expect(seen).toMatchObject({ kubeVersion: 'v1.34.1', hasDeployment: 'true', hasWidgets: 'true' });
  });

  it('defaults to the Kubernetes its client libraries were built for, not v1.20 (version ldflags)', async () => {
    const seen = await render();
    const version = seen.kubeVersion ?? '';
    expect(version).not.toBe('v1.20.0');
    expect(version).toMatch(/^v1\.(\d+)\.0$/);
    expect(Number(/^v1\.(\d+)/.exec(version)?.[1])).toBeGreaterThanOrEqual(30);
    expect(seen.hasWidgets).toBe('false');
  });

  it("fails naming the chart's kubeVersion constraint and the cluster's version", async () => {
    const pack = probePack({ chart: { kind: ChartSourceKind.Local, path: 'kube-version' } });
    const error = await helmTemplate(pack, {
      helmBin: helmBin(),
      ...chartFileFor(pack),
      capabilities: { kubeVersion: 'v1.34.1', apiVersions: [] },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).message).toMatch(/>=1\.99\.0-0.*v1\.34\.1/);
  });

  it('renders lookup as empty (ADR 0005: Strata renders offline, like Argo CD)', async () => {
    const seen = await render({ kubeVersion: 'v1.34.1', apiVersions: [] });
    expect(seen.lookupKubeSystem).toBe('empty');
  });
});

describe("helm's arguments stay within what Linux lets a program start with", () => {
  // As the review's API server listing 2,000 groups of 20 kinds gave: 42,021 flags, 2.4 MiB.
  const manyApis = Array.from(
    { length: 42_021 },
    (_, i) => `g${String(i % 2000)}.example.com/v1/Kind${String(i % 20)}WithAFairlyLongName`,
  );

  it('fails the pack before starting helm, and the spawner goes on rendering other packs', async () => {
    const spawner = new Spawner(2);
    try {
      const pack = probePack();
      const error = await helmTemplate(pack, {
        helmBin: helmBin(),
        ...chartFileFor(pack),
        capabilities: { kubeVersion: 'v1.34.1', apiVersions: manyApis },
        spawner,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EngineError);
      expect((error as EngineError).code).toBe(EngineErrorCode.RenderFailed);
      expect((error as EngineError).message).toMatch(
        new RegExp(
          "^pack probe: helm's arguments would take \\d+ KiB, with 42021 --api-versions flags for the APIs the " +
            `cluster serves; the hub starts helm with at most ${String(HELM_MAX_ARGS_BYTES / 1024)} KiB of ` +
            'arguments \\(half of what Linux lets a program take\\), so helm is not started$',
        ),
      );
      const out = await helmTemplate(pack, {
        helmBin: helmBin(),
        ...chartFileFor(pack),
        capabilities: { kubeVersion: 'v1.34.1', apiVersions: ['apps/v1', 'apps/v1/Deployment'] },
        spawner,
      });
      expect((parse(out) as { data: Record<string, string> }).data).toMatchObject({ hasDeployment: 'true' });
    } finally {
      spawner.close();
    }
  });

  it('refuses one argument longer than Linux takes, naming its flag and not quoting it', () => {
    const long = `g.example.com/v1/${'K'.repeat(200 * 1024)}`;
    expect(() =>
      templateArgs(probePack(), {
        helmBin: 'helm',
        chartFile: '/tmp/checked/web',
        capabilities: { kubeVersion: 'v1.34.1', apiVersions: ['apps/v1', long] },
      }),
    ).toThrow(
      "pack probe: helm's argument --api-versions would take 201 KiB; Linux starts no program with an argument " +
        'of more than 128 KiB, so helm is not started',
    );
  });

  it("takes a big real cluster's APIs", () => {
    // About 300 groups and 5,000 versions and kinds, names as long as real ones.
    const apis = Array.from(
      { length: 5000 },
      (_, i) => `provider${String(i % 300)}.aws.upbound.io/v1beta1/SomeFairlyLongResourceKind${String(i)}`,
    );
    const args = templateArgs(probePack(), {
      helmBin: 'helm',
      chartFile: '/tmp/checked/web',
      capabilities: { kubeVersion: 'v1.34.1', apiVersions: apis },
    });
    expect(args.filter((a) => a.startsWith('--api-versions='))).toHaveLength(5000);
  });
});

/** What the hub gives helm for a local chart: its own absolute path to the chart (here, the test chart folder). */
function chartFileFor(pack: HelmPack): { chartFile?: string } {
  return pack.chart.kind === ChartSourceKind.Local ? { chartFile: join(charts, pack.chart.path) } : {};
}
