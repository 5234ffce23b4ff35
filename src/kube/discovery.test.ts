// Discovery against a hostile API server: a tiny local HTTP server whose /apis lists more than any real cluster
// serves (review 16, item 3). A real control plane's discovery is covered by client.int.test.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loopStallProbe } from '../shared/testing/loop-stall.js';
import { KubeClient } from './client.js';
import {
  DISCOVERY_CONCURRENCY,
  DISCOVERY_DEADLINE_MS,
  DISCOVERY_MAX_API_VERSIONS,
  DISCOVERY_MAX_CACHED_RESOURCES,
  DISCOVERY_MAX_GROUP_VERSIONS,
  DISCOVERY_MAX_GROUPS,
  DISCOVERY_MAX_NAME,
  DISCOVERY_MAX_RESOURCES,
} from './discovery.js';
import { KubeErrorCode } from './errors.js';
import { kubeconfigFor, rejection } from './testing/remote.js';

interface FakeApis {
  /** Groups listed by /apis, `g<i>.example.com`. */
  groups: number;
  /** Versions of each group, `v1`, `v2`, … */
  versions?: number;
  /** Kinds in each group version's document (core v1 has two). */
  kinds?: number;
  /** Subresources of Kind0 in each group's document besides its kinds (`kind0s/sub<i>`, all of kind Kind0). */
  subresources?: number;
  /** The length of the first resource's name in each group's document. */
  nameLength?: number;
  /** Answers each document after this many milliseconds (the server's work, not the test's waiting). */
  delayMs?: number;
  /** /api and /apis answer this instead (a broken or hostile server's shape). */
  apiBody?: unknown;
  apisBody?: unknown;
  /** Called with the count of documents asked for so far, as each is asked for. */
  onDocument?: (count: number) => void;
}

/** What the fake server saw: document requests, and the most open at once. */
interface Seen {
  documents: number;
  maxOpen: number;
}

const servers: Server[] = [];

afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function fakeApiServer(apis: FakeApis): Promise<{ kube: KubeClient; seen: Seen; url: string }> {
  const seen: Seen = { documents: 0, maxOpen: 0 };
  let open = 0;
  const versions = Array.from({ length: apis.versions ?? 1 }, (_, v) => `v${String(v + 1)}`);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const answer = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/version') {
      answer({ gitVersion: 'v1.34.0' });
      return;
    }
    if (path === '/api') {
      answer(apis.apiBody ?? { versions: ['v1'] });
      return;
    }
    if (path === '/apis' && apis.apisBody !== undefined) {
      answer(apis.apisBody);
      return;
    }
    if (path === '/apis') {
      answer({
        groups: Array.from({ length: apis.groups }, (_, g) => ({
          name: `g${String(g)}.example.com`,
          versions: versions.map((version) => ({
            groupVersion: `g${String(g)}.example.com/${version}`,
            version,
          })),
        })),
      });
      return;
    }
    seen.documents++;
    apis.onDocument?.(seen.documents);
    open++;
    seen.maxOpen = Math.max(seen.maxOpen, open);
    res.on('close', () => open--);
    const groupVersion = path.replace(/^\/apis?\//, '');
    const document = {
      groupVersion,
      resources: [
        ...Array.from({ length: path === '/api/v1' ? 2 : (apis.kinds ?? 2) }, (_, k) => ({
          name:
            k === 0 && path !== '/api/v1' && apis.nameLength
              ? 'n'.repeat(apis.nameLength)
              : `kind${String(k)}s`,
          kind: `Kind${String(k)}`,
          namespaced: true,
          verbs: ['get'],
        })),
        ...Array.from({ length: path === '/api/v1' ? 0 : (apis.subresources ?? 0) }, (_, i) => ({
          name: `kind0s/sub${String(i)}`,
          kind: 'Kind0',
          namespaced: true,
          verbs: ['get'],
        })),
      ],
    };
    setTimeout(() => {
      answer(document);
    }, apis.delayMs ?? 0);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  const kube = KubeClient.fromString(kubeconfigFor(url));
  return { kube, seen, url };
}

describe('discovery of a server that lists many groups', () => {
  it(`asks for at most ${String(DISCOVERY_CONCURRENCY)} group version documents at once, and lists them all`, async () => {
    const { kube, seen } = await fakeApiServer({ groups: 60, kinds: 2, delayMs: 5 });
    const { apiVersions } = await kube.capabilities();
    expect(seen.documents).toBe(61);
    expect(seen.maxOpen).toBeLessThanOrEqual(DISCOVERY_CONCURRENCY);
    // One version entry and two kinds for each of core v1 and the 60 groups.
    expect(apiVersions).toHaveLength(61 * 3);
    expect(apiVersions).toContain('g59.example.com/v1/Kind1');
    expect(apiVersions).toEqual([...apiVersions].sort());
  });

  it('at the bound on groups, the answers leave the event loop free', async () => {
    const { kube } = await fakeApiServer({ groups: DISCOVERY_MAX_GROUPS, kinds: 10 });
    const probe = loopStallProbe();
    const { apiVersions } = await kube.capabilities();
    const stall = probe.stop();
    expect(apiVersions).toHaveLength(3 + DISCOVERY_MAX_GROUPS * 11);
    // All 1,001 documents asked for at once stalled the loop 1.0-1.2 s here; 8 at a time, 40-130 ms measured on
    // a loaded 2-core machine, once over 250 ms.
    expect(stall).toBeLessThan(500);
  });

  it('refuses more groups than the bound, naming the server and the count, before asking for any document', async () => {
    const { kube, seen, url } = await fakeApiServer({ groups: 20_000 });
    const error = await rejection(kube.capabilities());
    expect(error.code).toBe(KubeErrorCode.Invalid);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `the API server at ${url} lists 20000 API groups; the hub reads at most ${String(DISCOVERY_MAX_GROUPS)} ` +
        '(a large real cluster serves a few hundred)',
    );
    expect(seen.documents).toBe(0);
  });

  it('refuses more group versions than the bound', async () => {
    const { kube, seen, url } = await fakeApiServer({ groups: 10, versions: 300 });
    const error = await rejection(kube.capabilities());
    expect(error.code).toBe(KubeErrorCode.Invalid);
    expect(error.message).toBe(
      `the API server at ${url} lists 3001 API group versions; the hub reads at most ` +
        `${String(DISCOVERY_MAX_GROUP_VERSIONS)} (a real group serves one to three)`,
    );
    expect(seen.documents).toBe(0);
  });

  it('refuses a document with more resources than the bound, in capabilities and in resourceFor', async () => {
    const { kube, url } = await fakeApiServer({ groups: 1, kinds: DISCOVERY_MAX_RESOURCES + 1 });
    const expected =
      `the API server at ${url} lists ${String(DISCOVERY_MAX_RESOURCES + 1)} resources in "g0.example.com/v1"; ` +
      `the hub reads at most ${String(DISCOVERY_MAX_RESOURCES)} per group version`;
    const error = await rejection(kube.capabilities());
    expect(error.code).toBe(KubeErrorCode.Invalid);
    expect(error.message).toBe(expected);
    expect((await rejection(kube.resourceFor('g0.example.com/v1', 'Kind0'))).message).toBe(expected);
  });

  it('keeps at most its bound of resources in all, however few kinds they are of (review 17, item 2)', async () => {
    // Documents of 1,999 subresources of one kind: each under the per-document bound, two API versions and kinds
    // per document in all, but more resources than the cache keeps.
    const per = DISCOVERY_MAX_RESOURCES - 1;
    const groups = Math.ceil(DISCOVERY_MAX_CACHED_RESOURCES / per) + 4;
    const { kube, url } = await fakeApiServer({ groups, kinds: 1, subresources: per - 1 });
    const error = await rejection(kube.capabilities());
    expect(error.code).toBe(KubeErrorCode.Invalid);
    expect(error.message).toContain(url);
    expect(error.message).toContain(`more than ${String(DISCOVERY_MAX_CACHED_RESOURCES)} resources in all`);
  });

  it('refuses a resource whose name is longer than a Kubernetes name may be, in resourceFor', async () => {
    const { kube, url } = await fakeApiServer({ groups: 1, kinds: 2, nameLength: 1024 * 1024 });
    const error = await rejection(kube.resourceFor('g0.example.com/v1', 'Kind1'));
    expect(error.code).toBe(KubeErrorCode.Invalid);
    expect(error.message).toContain(url);
    expect(error.message).toContain(`at most ${String(DISCOVERY_MAX_NAME)} characters`);
    expect(error.message.length).toBeLessThan(1000);
  });

  it('stops asking for documents past its deadline, with a retryable Timeout naming the server', async () => {
    // Only Date is faked: the server moves the clock past the deadline as it answers the 10th document.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { kube, seen, url } = await fakeApiServer({
        groups: 100,
        onDocument: (n) => {
          if (n === 10) vi.setSystemTime(Date.now() + DISCOVERY_DEADLINE_MS + 1);
        },
      });
      const error = await rejection(kube.capabilities());
      expect(error.code).toBe(KubeErrorCode.Timeout);
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(
        new RegExp(
          `^the API server at ${url} answered \\d+ of 101 API group version documents in ` +
            `${String(DISCOVERY_DEADLINE_MS / 1000)} s, the longest discovery takes$`,
        ),
      );
      expect(seen.documents).toBeLessThan(10 + DISCOVERY_CONCURRENCY);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops asking for documents once the versions and kinds pass the bound', async () => {
    // 25,053 entries in all: the bound is passed after about 20,000 / 501 = 40 of the 51 documents.
    const { kube, seen, url } = await fakeApiServer({ groups: 50, kinds: 500 });
    const error = await rejection(kube.capabilities());
    expect(error.code).toBe(KubeErrorCode.Invalid);
    expect(error.message).toBe(
      `the API server at ${url} serves more than ${String(DISCOVERY_MAX_API_VERSIONS)} API versions and kinds, ` +
        'the most the hub passes helm (a large real cluster has a few thousand)',
    );
    expect(seen.documents).toBeLessThan(51);
  });
});

describe('discovery of a server whose answer is not a discovery answer', () => {
  it.each([
    ['a group list that is an object', { groups: { length: 3 } }, '/apis', 'no list of groups'],
    ['a group list that is a string', { groups: 'many' }, '/apis', 'no list of groups'],
    ['no group list', { kind: 'APIGroupList' }, '/apis', 'no list of groups'],
    ['an array, not an object', [1, 2], '/apis', 'no list of groups'],
    [
      'a group without versions',
      { groups: [{ name: 'g.example.com' }] },
      '/apis',
      'a group that has no name or no list of versions',
    ],
    ['a group that is null', { groups: [null] }, '/apis', 'a group that has no name or no list of versions'],
    [
      'a version that is a number',
      { groups: [{ name: 'g.example.com', versions: [{ groupVersion: 7, version: 'v1' }] }] },
      '/apis',
      `a version that is not a string of at most ${String(DISCOVERY_MAX_NAME)} characters`,
    ],
  ])(
    'fails with an Invalid naming the server and the answer, for %s in /apis',
    async (_, apisBody, path, what) => {
      const { kube, seen, url } = await fakeApiServer({ groups: 1, apisBody });
      const error = await rejection(kube.capabilities());
      expect(error.code).toBe(KubeErrorCode.Invalid);
      expect(error.retryable).toBe(false);
      expect(error.message).toBe(
        `the API server at ${url} answered ${path} with ${what}, not a Kubernetes discovery answer`,
      );
      expect(seen.documents).toBe(0);
    },
  );

  it('fails with an Invalid naming the server when /api lists no versions', async () => {
    const { kube, url } = await fakeApiServer({ groups: 1, apiBody: { versions: null } });
    const error = await rejection(kube.capabilities());
    expect(error.code).toBe(KubeErrorCode.Invalid);
    expect(error.message).toBe(
      `the API server at ${url} answered /api with no list of versions, not a Kubernetes discovery answer`,
    );
  });
});
