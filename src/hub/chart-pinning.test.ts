import { describe, expect, it } from 'vitest';
import { ChartSourceKind } from '../profile/index.js';
import { writeTarGz } from '../profile/bundle.js';
import { rawTarGz } from '../profile/testing/raw-tar.js';
import { parseOk, profileText } from '../profile/testing/profiles.js';
import { parseProfile } from '../profile/parse.js';
import type { ChartSourceCredentials } from '../store/index.js';
import { classify, type FetchOptions, type FetchResult, type RemoteChart } from './chart-fetch.js';
import { fetchRemoteCharts, matchSource } from './chart-pinning.js';
import { HubError, HubErrorCode } from './errors.js';

const chartYaml = {
  path: 'web/Chart.yaml',
  content: Buffer.from('apiVersion: v2\nname: web\nversion: 9.9.9\n'),
};

/** A well-formed chart archive (its version in its Chart.yaml). */
const chartArchive = (version: string) =>
  writeTarGz([
    { path: 'web/Chart.yaml', content: Buffer.from(`apiVersion: v2\nname: web\nversion: ${version}\n`) },
  ]);

const source = (name: string, url: string): ChartSourceCredentials => ({
  name,
  url,
  username: 'u',
  password: 'p4ss-w0rd-never-shown',
  hasPassword: true,
  hasCa: false,
  insecureSkipTlsVerify: false,
  plainHttp: false,
  createdAt: '2026-01-01T00:00:00.000Z',
});

const profile = parseOk(
  profileText({
    name: 'remote',
    packs: [
      '- { name: web, layer: addon, version: 0.1.0, type: helm, chart: { repo: "https://charts.example.com/stable", name: web, version: 9.9.9 } }',
      '- { name: db, layer: addon, version: 0.1.0, type: helm, chart: { oci: "oci://registry.example.com/charts/db", version: 1.0.0 } }',
    ].join('\n'),
  }),
).profile;

describe('matchSource', () => {
  const sources = [
    source('registry', 'oci://registry.example.com'),
    source('charts', 'https://registry.example.com/charts'),
    source('stable', 'https://charts.example.com/stable/'),
  ];
  it('takes the longest URL prefix at a path boundary, oci:// and https:// alike', () => {
    expect(matchSource('oci://registry.example.com/charts/db', sources)?.name).toBe('charts');
    expect(matchSource('oci://registry.example.com/other/db', sources)?.name).toBe('registry');
    expect(matchSource('https://charts.example.com/stable', sources)?.name).toBe('stable');
    expect(matchSource('https://charts.example.com/stable-2', sources)).toBeUndefined();
    expect(matchSource('https://registry.example.com.evil.test/charts', sources)).toBeUndefined();
  });
});

describe('fetchRemoteCharts', () => {
  it('fetches each remote chart with its source and keys the archives by chart and version', async () => {
    const seen: [RemoteChart, string | undefined][] = [];
    const fetch = (chart: RemoteChart, options: FetchOptions): Promise<FetchResult> => {
      seen.push([chart, options.source?.name]);
      return Promise.resolve({ ok: true, archive: chartArchive(chart.version) });
    };
    const archives = await fetchRemoteCharts(profile, {
      helmBin: 'helm',
      deny: new Set(),
      sources: [source('stable', 'https://charts.example.com/stable')],
      fetch,
    });
    expect(seen.map(([chart, from]) => [chart.kind, from])).toEqual([
      [ChartSourceKind.Repo, 'stable'],
      [ChartSourceKind.Oci, undefined],
    ]);
    expect([...archives.keys()]).toEqual([
      'https://charts.example.com/stable web@9.9.9',
      'oci://registry.example.com/charts/db@1.0.0',
    ]);
  });

  it('fails (CHART_FETCH_FAILED, a 422) naming the pack, the chart, the source and the versions that exist, never the password', async () => {
    const error = await fetchRemoteCharts(profile, {
      helmBin: 'helm',
      deny: new Set(),
      sources: [source('stable', 'https://charts.example.com/stable')],
      fetch: () =>
        Promise.resolve({ ok: false, cause: 'version 9.9.9 not found', versions: ['1.0.0', '1.1.0'] }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubError);
    expect(error).toMatchObject({ code: HubErrorCode.ChartFetchFailed });
    expect((error as HubError).message).toBe(
      'remote@1.0.0: pack web: chart "web" version 9.9.9 from https://charts.example.com/stable ' +
        '(source "stable"): version 9.9.9 not found; the versions that exist: 1.0.0, 1.1.0; nothing was stored',
    );
    expect((error as HubError).message).not.toContain('p4ss');
  });

  it.each([
    [
      'a link',
      rawTarGz([chartYaml, { path: 'web/files/k', type: 'SymbolicLink', linkpath: 'u9/etc/passwd' }]),
      'entry "web/files/k" is a SymbolicLink; only regular files are allowed (no links or devices)',
    ],
    [
      'a values schema that loads a URL',
      rawTarGz([
        chartYaml,
        { path: 'web/values.schema.json', content: Buffer.from('{"$ref":"http://10.1.2.3/"}') },
      ]),
      'web/values.schema.json: "$ref" at / is "http://10.1.2.3/"; a values schema may only refer inside itself ("#…"): helm would fetch that URL or open that file when rendering',
    ],
    ['something that is not a chart', Buffer.from('<html>'), 'chart archive is not gzip-compressed data'],
  ])(
    'refuses an archive with %s as a local chart in a bundle is refused, naming the chart, version and entry',
    async (_what, archive, problem) => {
      const error = await fetchRemoteCharts(profile, {
        helmBin: 'helm',
        deny: new Set(),
        sources: [],
        fetch: () => Promise.resolve({ ok: true, archive }),
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: HubErrorCode.ChartFetchFailed });
      expect((error as HubError).message).toBe(
        'remote@1.0.0: pack web: chart "web" version 9.9.9 from https://charts.example.com/stable ' +
          `(no chart source matches, fetched anonymously): its archive is refused: ${problem}; nothing was stored`,
      );
    },
  );
});

describe('a chart that names its source', () => {
  const named = (source: string) =>
    parseOk(
      profileText({
        name: 'named',
        packs: `- { name: web, layer: addon, version: 0.1.0, type: helm, chart: { oci: "oci://mirror.example.com/web", version: 1.0.0, source: ${source} } }`,
      }),
    ).profile;

  it('is fetched with that source even when a longer one matches its URL', async () => {
    const used: (string | undefined)[] = [];
    await fetchRemoteCharts(named('vault'), {
      helmBin: 'helm',
      deny: new Set(),
      sources: [
        source('mirror', 'oci://mirror.example.com/web'),
        source('vault', 'https://mirror.example.com'),
      ],
      fetch: (_chart, options) => {
        used.push(options.source?.name);
        return Promise.resolve({ ok: true, archive: chartArchive('1.0.0') });
      },
    });
    expect(used).toEqual(['vault']);
  });

  it('fails naming the missing source, fetching nothing', async () => {
    let fetched = false;
    const error = await fetchRemoteCharts(named('nope'), {
      helmBin: 'helm',
      deny: new Set(),
      sources: [source('mirror', 'oci://mirror.example.com')],
      fetch: () => {
        fetched = true;
        return Promise.resolve({ ok: true, archive: chartArchive('1.0.0') });
      },
    }).catch((e: unknown) => e);
    expect((error as HubError).message).toMatch(
      /pack web: chart source "nope" \(chart\.source\) does not exist/,
    );
    expect(fetched).toBe(false);
  });

  it("never sends a source's credentials to a URL outside it, whoever names it", async () => {
    // Review finding: an operator's profile naming the admin's source beside the operator's own server
    // made the hub send the source's password there.
    let fetched = false;
    const error = await fetchRemoteCharts(named('vault'), {
      helmBin: 'helm',
      deny: new Set(),
      sources: [source('vault', 'https://vault.example.com')],
      fetch: () => {
        fetched = true;
        return Promise.resolve({ ok: true, archive: chartArchive('1.0.0') });
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: HubErrorCode.ChartFetchFailed });
    expect((error as HubError).message).toBe(
      'named@1.0.0: pack web: chart source "vault" (chart.source) is for https://vault.example.com; ' +
        "oci://mirror.example.com/web is not under it, and a source's credentials are only sent to its own URL; " +
        'nothing was stored',
    );
    expect((error as HubError).message).not.toContain('p4ss');
    expect(fetched).toBe(false);
  });

  it('is refused on a local chart, at its position', () => {
    const result = parseProfile(
      profileText({
        packs:
          '- { name: web, layer: addon, version: 0.1.0, type: helm, chart: { path: charts/web, source: x } }',
      }),
      { file: 'p.yaml' },
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`)).toContain(
      'spec.packs[0].chart.source: source applies to repo and oci charts',
    );
  });
});

describe('classify', () => {
  it.each([
    ['Error: failed to fetch https://x/index.yaml : 401 Unauthorized', /^401 Unauthorized/],
    ['Error: login attempt to https://x/v2/ failed with status: 401 Unauthorized', /^401 Unauthorized/],
    [
      'Error: tls: failed to verify certificate: x509: certificate signed by unknown authority',
      /^TLS error \(x509: certificate signed by unknown authority\)/,
    ],
    ['Error: oci://x/charts/web:9.9.9: not found', /^404 Not Found$/],
    ['Error: dial tcp 127.0.0.1:1: connect: connection refused', /^connection refused$/],
    ['connect ECONNREFUSED 127.0.0.1:1', /^connection refused$/],
    ['getaddrinfo ENOTFOUND registry.invalid', /^host not found/],
    ['Error: <html>secret page body</html>', /^the chart could not be fetched$/],
  ])('%s → a cause in our words', (stderr, expected) => {
    expect(classify(stderr, 1)).toMatch(expected);
  });

  it("names the memory limit for Go's out-of-memory throw (exit 2), not for a remote's text saying it", () => {
    // Go's dump names "denied"/"not found" in frames at random: the limit is the cause.
    const dump =
      'fatal error: runtime: out of memory\n\ngoroutine 1 [running]:\nnet/http.(*Client).deniedTransport 404';
    expect(classify(dump, 2)).toBe('helm pull exceeded its memory limit (1024 MiB)');
    // helm's own error (exit 1) quoting a remote's message with Go's words on a line of their own.
    expect(classify('Error: failed to fetch: 403 Forbidden\nfatal error: runtime: out of memory', 1)).toBe(
      '403 Forbidden',
    );
  });
});
