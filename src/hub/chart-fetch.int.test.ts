// The outbound policy holds at every hop of a chart fetch, whatever the remote answers: servers on 127.0.0.1
// (allowed) and 127.0.0.2 (denied by the policy given, `127.0.0.2/32`) stand for a chart source and the address
// it tries to send the hub to (the metadata endpoint, in real life). The denied server must see no request at all.
// The real helm (testenv's) pulls the OCI charts, through the hub's guarded proxy.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChartServers, type ChartServers } from '../../testenv/src/chart-servers.js';
import { binDir } from '../../testenv/src/paths.js';
import { ChartSourceKind } from '../profile/index.js';
import type { ChartSourceCredentials } from '../store/index.js';
import { fetchChart, listChartVersions, MAX_CHART_ARCHIVE_BYTES, type FetchOptions } from './chart-fetch.js';
import { cidrCheck } from './guarded-http.js';

interface Recorded {
  readonly server: Server;
  readonly base: string;
  readonly requests: { url: string; authorization: string | undefined }[];
}

async function serve(
  host: string,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Recorded> {
  const requests: Recorded['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    handle(req, res);
  });
  await new Promise<void>((done) => server.listen(0, host, done));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://${host}:${port}`, requests };
}

let work: string;
let helmBin: string;
let archive: Buffer;
let digest: string;
let denied: Recorded;
let other: Recorded;
const servers: Server[] = [];

beforeAll(async () => {
  helmBin = join(binDir({ build: true }), 'helm');
  work = await mkdtemp(join(tmpdir(), 'strata-chart-fetch-it-'));
  execFileSync(
    helmBin,
    ['package', resolve(import.meta.dirname, '../../examples/charts/dashboards'), `--destination=${work}`],
    {
      env: { ...process.env, HELM_CONFIG_HOME: work, HELM_CACHE_HOME: work, HELM_DATA_HOME: work },
    },
  );
  const name = (await readdir(work)).find((f) => f.endsWith('.tgz'));
  archive = await readFile(join(work, name ?? ''));
  digest = createHash('sha256').update(archive).digest('hex');
  denied = await serve('127.0.0.2', (_req, res) => res.end('metadata'));
  // Another origin on the allowed address: where an index may put its archives.
  other = await serve('127.0.0.1', (_req, res) => res.end(archive));
  servers.push(denied.server, other.server);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  await rm(work, { recursive: true, force: true });
});

const index = (url: string, withDigest = digest) =>
  [
    'apiVersion: v1',
    'entries:',
    '  dashboards:',
    '  - apiVersion: v2',
    '    name: dashboards',
    '    version: 0.1.0',
    `    digest: ${withDigest}`,
    `    urls: [${JSON.stringify(url)}]`,
    '',
  ].join('\n');

/** A repository on 127.0.0.1 whose handler the test writes. */
async function repository(handle: (req: IncomingMessage, res: ServerResponse, base: string) => void) {
  let base = '';
  const repo = await serve('127.0.0.1', (req, res) => {
    handle(req, res, base);
  });
  base = repo.base;
  servers.push(repo.server);
  return repo;
}

const chartAt = (repo: string) =>
  ({ kind: ChartSourceKind.Repo, repo: `${repo}/charts`, name: 'dashboards', version: '0.1.0' }) as const;

const options = (extra: Partial<FetchOptions> = {}): FetchOptions => ({
  helmBin,
  deny: new Set(),
  check: cidrCheck('127.0.0.2/32'),
  timeoutMs: 30_000,
  ...extra,
});

const failure = (result: { ok: boolean; cause?: string }) => (result.ok ? 'fetched' : result.cause);

describe('a Helm repository: the hub fetches index and archive itself, every hop checked', () => {
  it('refuses an archive URL that redirects to a denied address, names the hop by its origin only, and never contacts it', async () => {
    const before = denied.requests.length;
    const repo = await repository((req, res, base) => {
      if (req.url === '/charts/index.yaml') res.end(index(`${base}/charts/dashboards-0.1.0.tgz`));
      else res.writeHead(302, { location: `${denied.base}/latest/meta-data/` }).end();
    });
    const result = await fetchChart(chartAt(repo.base), options());
    expect(failure(result)).toBe(
      `chart archive ${repo.base}/charts/dashboards-0.1.0.tgz redirects to ${denied.base}/…, ` +
        'in the 127.0.0.2/32 range the hub does not contact',
    );
    expect(denied.requests.length).toBe(before);
  });

  it('refuses an index that redirects to a denied address (fetch and versions listing), never contacting it', async () => {
    const before = denied.requests.length;
    const repo = await repository((_req, res) => {
      res.writeHead(301, { location: `${denied.base}/index.yaml` }).end();
    });
    for (const result of [
      await fetchChart(chartAt(repo.base), options()),
      await listChartVersions(chartAt(repo.base), options()),
    ]) {
      expect(failure(result)).toBe(
        `repository index ${repo.base}/charts/index.yaml redirects to ${denied.base}/…, ` +
          'in the 127.0.0.2/32 range the hub does not contact',
      );
    }
    expect(denied.requests.length).toBe(before);
  });

  it('connects to the address it checked: a name that answers differently the second time (DNS rebinding) is not asked again', async () => {
    const before = denied.requests.length;
    const repo = await repository((req, res) => {
      if (req.url === '/charts/index.yaml') res.end(index('dashboards-0.1.0.tgz'));
      else res.end(archive);
    });
    const port = new URL(repo.base).port;
    let calls = 0;
    // First answer allowed, every later one the denied address.
    const rebinding = (host: string) => {
      expect(host).toBe('charts.test');
      return Promise.resolve([{ address: calls++ === 0 ? '127.0.0.1' : '127.0.0.2', family: 4 }]);
    };
    const result = await listChartVersions(
      chartAt(`http://charts.test:${port}`),
      options({ resolve: rebinding }),
    );
    expect(result).toEqual({ ok: true, versions: ['0.1.0'] });
    expect(calls).toBe(1);
    // The archive's hop resolves again (a new hop), gets the denied address, and is refused.
    calls = 0;
    const fetched = await fetchChart(chartAt(`http://charts.test:${port}`), options({ resolve: rebinding }));
    expect(failure(fetched)).toMatch(
      /^chart archive http:\/\/charts\.test:\d+\/charts\/dashboards-0\.1\.0\.tgz resolves to 127\.0\.0\.2, in the 127\.0\.0\.2\/32 range/,
    );
    expect(calls).toBe(2);
    expect(denied.requests.length).toBe(before);
  });

  it("sends the source's credentials to its own origin only: not to an archive elsewhere, nor after a redirect", async () => {
    other.requests.length = 0;
    const repo = await repository((req, res, base) => {
      if (req.url === '/charts/index.yaml') res.end(index(`${base}/charts/away.tgz`));
      else res.writeHead(307, { location: `${other.base}/dashboards-0.1.0.tgz` }).end();
    });
    const source: ChartSourceCredentials = {
      name: 'charts',
      url: `${repo.base}/charts`,
      username: 'u',
      password: 'secret',
      hasPassword: true,
      hasCa: false,
      insecureSkipTlsVerify: false,
      plainHttp: false,
      createdAt: '2026-01-01T00:00:00Z',
    };
    const result = await fetchChart(chartAt(repo.base), options({ source }));
    expect(result.ok && result.archive.equals(archive)).toBe(true);
    const basic = `Basic ${Buffer.from('u:secret').toString('base64')}`;
    expect(repo.requests).toEqual([
      { url: '/charts/index.yaml', authorization: basic },
      { url: '/charts/away.tgz', authorization: basic },
    ]);
    expect(other.requests).toEqual([{ url: '/dashboards-0.1.0.tgz', authorization: undefined }]);
  });

  it("refuses an archive whose sha256 is not the index's digest", async () => {
    const repo = await repository((req, res, base) => {
      if (req.url === '/charts/index.yaml') res.end(index(`${base}/x.tgz`, 'ab'.repeat(32)));
      else res.end(archive);
    });
    expect(failure(await fetchChart(chartAt(repo.base), options()))).toBe(
      `the chart archive's sha256 is ${digest}, not the digest the repository's index gives for version 0.1.0`,
    );
  });

  it('stops after 5 redirects', async () => {
    const repo = await repository((req, res) => {
      const n = Number(/\d+$/.exec(req.url ?? '')?.[0] ?? 0);
      res.writeHead(302, { location: `/hop/${n + 1}` }).end();
    });
    expect(failure(await fetchChart(chartAt(repo.base), options()))).toBe(
      `repository index ${repo.base}/charts/index.yaml: more than 5 redirects`,
    );
    expect(repo.requests).toHaveLength(6);
  });
});

/**
 * A tiny OCI registry (plain HTTP, the distribution API's pull path only) serving the chart; `blob` answers the
 * chart layer's request (a registry commonly redirects it to a blob store).
 */
async function registry(
  blob: (res: ServerResponse) => void,
  options: { bearer?: string; layerSize?: number } = {},
) {
  const config = Buffer.from(JSON.stringify({ apiVersion: 'v2', name: 'dashboards', version: '0.1.0' }));
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.cncf.helm.config.v1+json',
        digest: sha(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
          digest: sha(archive),
          size: options.layerSize ?? archive.length,
        },
      ],
    }),
  );
  const send = (req: IncomingMessage, res: ServerResponse, body: Buffer, type: string) => {
    res.writeHead(200, {
      'content-type': type,
      'content-length': body.length,
      'docker-content-digest': sha(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const server = await serve('127.0.0.1', (req, res) => {
    const path = req.url ?? '';
    const basic = `Basic ${Buffer.from('robot:s3cret').toString('base64')}`;
    // With `bearer`: a token service (Basic) hands out the token every /v2/ request needs (RFC 6750).
    if (options.bearer !== undefined && path.startsWith('/token?')) {
      if (req.headers.authorization === basic) res.end(JSON.stringify({ token: options.bearer }));
      else res.writeHead(401).end();
      return;
    }
    if (options.bearer !== undefined && req.headers.authorization !== `Bearer ${options.bearer}`) {
      const realm = `http://${req.headers.host ?? ''}/token`;
      res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="${realm}",service="test",scope="repository:charts/dashboards:pull"`,
        })
        .end();
      return;
    }
    if (path === '/v2/' || path === '/v2') res.end('{}');
    else if (path === '/v2/charts/dashboards/tags/list') res.end(JSON.stringify({ tags: ['0.1.0'] }));
    else if (
      path === '/v2/charts/dashboards/manifests/0.1.0' ||
      path === `/v2/charts/dashboards/manifests/${sha(manifest)}`
    )
      send(req, res, manifest, 'application/vnd.oci.image.manifest.v1+json');
    else if (path === `/v2/charts/dashboards/blobs/${sha(config)}`)
      send(req, res, config, 'application/octet-stream');
    else if (path === `/v2/charts/dashboards/blobs/${sha(archive)}`) blob(res);
    else res.writeHead(404).end();
  });
  servers.push(server.server);
  return server;
}

describe('an OCI registry: the real helm pulls through the guarded proxy', () => {
  // Go sends a request for a name through the proxy (never a loopback literal: see outbound-proxy.ts), so the
  // registry and the blob store are names here, resolved by the proxy as the test says.
  const resolver = (registryAddress: string) => (host: string) =>
    Promise.resolve([{ address: host === 'blobs.test' ? '127.0.0.2' : registryAddress, family: 4 }]);
  const plain: ChartSourceCredentials = {
    name: 'registry',
    url: 'oci://registry.test',
    hasPassword: false,
    hasCa: false,
    insecureSkipTlsVerify: false,
    plainHttp: true,
    createdAt: '2026-01-01T00:00:00Z',
  };

  it('pulls a chart from an allowed registry', async () => {
    const reg = await registry((res) => res.end(archive));
    const ref = `oci://registry.test:${new URL(reg.base).port}/charts/dashboards`;
    const result = await fetchChart(
      { kind: ChartSourceKind.Oci, ref, version: '0.1.0' },
      options({ resolve: resolver('127.0.0.1'), source: { ...plain, url: ref } }),
    );
    expect(failure(result)).toBe('fetched');
    expect(result.ok && result.archive.equals(archive)).toBe(true);
  });

  it('refuses the blob store a registry redirects helm to when it is denied, names it, and never contacts it', async () => {
    const before = denied.requests.length;
    const reg = await registry((res) => {
      res.writeHead(307, { location: `http://blobs.test:${new URL(denied.base).port}/blob` }).end();
    });
    const ref = `oci://registry.test:${new URL(reg.base).port}/charts/dashboards`;
    const result = await fetchChart(
      { kind: ChartSourceKind.Oci, ref, version: '0.1.0' },
      options({ resolve: resolver('127.0.0.1'), source: { ...plain, url: ref } }),
    );
    expect(failure(result)).toBe(
      `${ref}: helm was sent to blobs.test:${new URL(denied.base).port} (127.0.0.2), in the 127.0.0.2/32 range the hub does not contact`,
    );
    expect(denied.requests.length).toBe(before);
  });

  it('stops a layer larger than a chart may be while it arrives, before helm has written it all to disk', async () => {
    const layerSize = 64 * 1024 * 1024;
    let written = 0;
    const reg = await registry(
      (res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': layerSize });
        const chunk = Buffer.alloc(1024 * 1024);
        const more = () => {
          while (written < layerSize && !res.destroyed) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
          res.end();
        };
        res.on('error', () => undefined);
        more();
      },
      { layerSize },
    );
    const ref = `oci://registry.test:${new URL(reg.base).port}/charts/dashboards`;
    const result = await fetchChart(
      { kind: ChartSourceKind.Oci, ref, version: '0.1.0' },
      options({ resolve: resolver('127.0.0.1'), source: { ...plain, url: ref } }),
    );
    expect(failure(result)).toBe(
      `${ref}: the registry sent more than ${MAX_CHART_ARCHIVE_BYTES + 4 * 1024 * 1024} bytes; a chart archive ` +
        `may be at most ${MAX_CHART_ARCHIVE_BYTES} (as for a profile bundle)`,
    );
    expect(written).toBeLessThan(layerSize);
  });

  it("never hands the source's password to helm: a token service on another port gets none (while loopback is allowed)", async () => {
    // helm (oras-go) sends the login's Basic password to whatever realm the registry names, and Go connects to
    // a loopback literal without the proxy, so nothing could stop it there: a source with a password is pulled
    // by the hub itself (oci-registry.ts), which sends it only to the registry's own origin or host over TLS.
    // oras-go first POSTs the password in an OAuth2 form, then GETs with Basic: both are checked.
    const bodies: string[] = [];
    const thief = await serve('127.0.0.1', (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.end(JSON.stringify({ token: 'stolen' }));
      });
    });
    const reg = await serve('127.0.0.1', (req, res) => {
      if ((req.headers.authorization ?? '').startsWith('Bearer ')) res.writeHead(404).end();
      else {
        // A name (helm refuses a loopback realm for a registry that is not one), resolved to the thief.
        const realm = `http://thief.test:${new URL(thief.base).port}/token`;
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="x"` }).end();
      }
    });
    servers.push(thief.server, reg.server);
    const ref = `oci://registry.test:${new URL(reg.base).port}/charts/dashboards`;
    const withPassword = { ...plain, url: ref, username: 'robot', password: 's3cret', hasPassword: true };
    const result = await fetchChart(
      { kind: ChartSourceKind.Oci, ref, version: '0.1.0' },
      options({ resolve: resolver('127.0.0.1'), source: withPassword }),
    );
    expect(result.ok).toBe(false);
    expect(thief.requests.length).toBeGreaterThan(0);
    expect(thief.requests.map((r) => r.authorization)).toEqual(thief.requests.map(() => undefined));
    expect(bodies.filter((b) => b.includes('s3cret'))).toEqual([]);
  });

  it('refuses a redirect to a denied loopback literal, which Go would follow around the proxy', async () => {
    const before = denied.requests.length;
    const reg = await registry((res) => {
      res.writeHead(307, { location: `${denied.base}/blob` }).end();
    });
    const ref = `oci://registry.test:${new URL(reg.base).port}/charts/dashboards`;
    const result = await fetchChart(
      { kind: ChartSourceKind.Oci, ref, version: '0.1.0' },
      options({ resolve: resolver('127.0.0.1'), source: { ...plain, url: ref } }),
    );
    expect(failure(result)).toBe(
      `${ref}: helm was sent to ${new URL(denied.base).host} (127.0.0.2), in the 127.0.0.2/32 range the hub does not contact`,
    );
    expect(denied.requests.length).toBe(before);
  });
});

describe('an OCI registry while loopback is denied: the hub pulls itself (helm would connect to loopback around the proxy)', () => {
  // Denying ::1 denies loopback for the fetch's purposes; 127.0.0.1 stays allowed so the test registry is.
  const loopbackDenied = (extra: Partial<FetchOptions> = {}) =>
    options({
      // No helm at all on this path.
      helmBin: '/nonexistent/helm',
      check: cidrCheck('127.0.0.2/32', '::1/128'),
      resolve: (host) =>
        Promise.resolve([{ address: host === 'blobs.test' ? '127.0.0.2' : '127.0.0.1', family: 4 }]),
      ...extra,
    });
  const source = (ref: string, username?: string): ChartSourceCredentials => ({
    name: 'registry',
    url: ref,
    ...(username === undefined ? {} : { username, password: 's3cret' }),
    hasPassword: username !== undefined,
    hasCa: false,
    insecureSkipTlsVerify: false,
    plainHttp: true,
    createdAt: '2026-01-01T00:00:00Z',
  });

  it("pulls with the registry's bearer token, its digest checked; a blob store elsewhere gets no credentials", async () => {
    other.requests.length = 0;
    const reg = await registry(
      (res) => {
        res.writeHead(307, { location: `${other.base}/blob` }).end();
      },
      { bearer: 'tok-123' },
    );
    const ref = `oci://registry.test:${new URL(reg.base).port}/charts/dashboards`;
    const result = await fetchChart(
      { kind: ChartSourceKind.Oci, ref, version: '0.1.0' },
      loopbackDenied({ source: source(ref, 'robot') }),
    );
    expect(failure(result)).toBe('fetched');
    expect(result.ok && result.archive.equals(archive)).toBe(true);
    expect(reg.requests.filter((r) => r.url.startsWith('/token'))).toEqual([
      {
        url: '/token?service=test&scope=repository%3Acharts%2Fdashboards%3Apull',
        authorization: `Basic ${Buffer.from('robot:s3cret').toString('base64')}`,
      },
    ]);
    expect(other.requests).toEqual([{ url: '/blob', authorization: undefined }]);
  });

  it("sends the source's password to no token service a blob store or a clear-text realm names", async () => {
    // A blob store the registry redirects to answers with its own challenge, naming a realm elsewhere.
    const thief = await serve('127.0.0.1', (_req, res) => res.end(JSON.stringify({ token: 'stolen' })));
    const blobs = await serve('127.0.0.1', (_req, res) => {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${thief.base}/steal",service="x"` }).end();
    });
    servers.push(thief.server, blobs.server);
    const reg = await registry(
      (res) => {
        res.writeHead(307, { location: `${blobs.base}/blob` }).end();
      },
      { bearer: 'tok-123' },
    );
    const ref = `oci://registry.test:${new URL(reg.base).port}/charts/dashboards`;
    const result = await fetchChart(
      { kind: ChartSourceKind.Oci, ref, version: '0.1.0' },
      loopbackDenied({ source: source(ref, 'robot') }),
    );
    expect(failure(result)).toContain('401');
    expect(thief.requests).toEqual([]);

    // The registry's own challenge naming a clear-text token service on another host: asked anonymously.
    const plainRealm = await serve('127.0.0.1', (req, res) => {
      const url = req.url ?? '';
      if (url.startsWith('/v2/') && !(req.headers.authorization ?? '').startsWith('Bearer ')) {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${thief.base}/token",service="x"` }).end();
      } else res.writeHead(404).end();
    });
    servers.push(plainRealm.server);
    const ref2 = `oci://registry.test:${new URL(plainRealm.base).port}/charts/dashboards`;
    const second = await fetchChart(
      { kind: ChartSourceKind.Oci, ref: ref2, version: '0.1.0' },
      loopbackDenied({ source: source(ref2, 'robot') }),
    );
    expect(second.ok).toBe(false);
    expect(thief.requests.length).toBeGreaterThan(0);
    expect(thief.requests.map((r) => r.authorization)).toEqual(thief.requests.map(() => undefined));
  });

  it('refuses a redirect to a denied loopback literal, names it, and never contacts it', async () => {
    const before = denied.requests.length;
    const reg = await registry((res) => {
      res.writeHead(307, { location: `${denied.base}/blob` }).end();
    });
    const ref = `oci://registry.test:${new URL(reg.base).port}/charts/dashboards`;
    const result = await fetchChart(
      { kind: ChartSourceKind.Oci, ref, version: '0.1.0' },
      loopbackDenied({ source: source(ref) }),
    );
    expect(failure(result)).toMatch(
      new RegExp(
        `^chart archive http://registry\\.test:\\d+/v2/charts/dashboards/blobs/sha256:[0-9a-f]{64} redirects to ` +
          `${denied.base.replaceAll('.', '\\.')}/…, in the 127\\.0\\.0\\.2/32, ::1/128 range the hub does not contact$`,
      ),
    );
    expect(denied.requests.length).toBe(before);
  });

  it('names the versions that exist when the version does not', async () => {
    const reg = await registry((res) => res.end(archive));
    const ref = `oci://registry.test:${new URL(reg.base).port}/charts/dashboards`;
    const result = await fetchChart(
      { kind: ChartSourceKind.Oci, ref, version: '9.9.9' },
      loopbackDenied({ source: source(ref) }),
    );
    expect(result).toEqual({ ok: false, cause: 'version 9.9.9 not found', versions: ['0.1.0'] });
  });
});

describe('a real registry (testenv: CNCF distribution, TLS from its own CA, htpasswd)', () => {
  let real: ChartServers | undefined;
  beforeAll(async () => {
    real = await startChartServers();
    await real.publish(resolve(import.meta.dirname, '../../examples/charts/dashboards'));
  });
  afterAll(async () => {
    await real?.close();
  });

  it('the hub pulls a chart behind a password itself, loopback allowed or not: helm is never run with it', async () => {
    if (real === undefined) throw new Error('the chart servers did not start');
    const ref = `${real.ociBase}/dashboards`;
    const source: ChartSourceCredentials = {
      name: 'registry',
      url: `oci://${real.registryHost}`,
      username: real.username,
      password: real.password,
      caPem: await readFile(real.caFile, 'utf8'),
      hasPassword: true,
      hasCa: true,
      insecureSkipTlsVerify: false,
      plainHttp: false,
      createdAt: '2026-01-01T00:00:00Z',
    };
    const chart = { kind: ChartSourceKind.Oci, ref, version: '0.1.0' } as const;
    const loopbackOk = await fetchChart(chart, options({ source, helmBin: '/nonexistent/helm' }));
    const loopbackOff = await fetchChart(
      chart,
      options({ source, helmBin: '/nonexistent/helm', check: cidrCheck('::1/128') }),
    );
    expect([failure(loopbackOk), failure(loopbackOff)]).toEqual(['fetched', 'fetched']);
    expect(loopbackOk.ok && loopbackOff.ok && loopbackOff.archive.equals(loopbackOk.archive)).toBe(true);
    const wrong = await fetchChart(
      chart,
      options({
        source: { ...source, password: 'wrong' },
        helmBin: '/nonexistent/helm',
        check: cidrCheck('::1/128'),
      }),
    );
    expect(failure(wrong)).toBe('401 Unauthorized (wrong or missing username or password)');
  });
});
