// Conditional GETs (issue 15, "Fast reads"): 304 while the view is unchanged, 200 with a new tag after a change,
// and a 200 body that is exactly what the route answers without a tag; gzip for a client that takes it.
import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import {
  acceptsGzip,
  matchesIfNoneMatch,
  MAX_GZIP_BYTES,
  MIN_GZIP_BYTES,
  representation,
  tagBody,
  type TaggedBody,
} from './etag.js';
import { startTestHub, type TestHub } from './testing/server.js';

describe('tagBody', () => {
  it('encodes a kept view once: the same object gives the same bytes, ready for the socket', () => {
    const view = { page: 'pack → green' };
    const tagged = tagBody(view);
    expect(Buffer.isBuffer(tagged.body)).toBe(true);
    expect(tagged.body.toString('utf8')).toBe(JSON.stringify(view));
    expect(tagBody(view).body).toBe(tagged.body);
    expect(tagBody({ ...view }).etag).toBe(tagged.etag);
  });
});

describe('matchesIfNoneMatch', () => {
  it('matches the tag in a list, weakly, and *; nothing else', () => {
    const { etag } = tagBody({ a: 1 });
    expect(matchesIfNoneMatch(etag, etag)).toBe(true);
    expect(matchesIfNoneMatch(`"other", W/${etag}`, etag)).toBe(true);
    expect(matchesIfNoneMatch('*', etag)).toBe(true);
    expect(matchesIfNoneMatch(undefined, etag)).toBe(false);
    expect(matchesIfNoneMatch(tagBody({ a: 2 }).etag, etag)).toBe(false);
    expect(matchesIfNoneMatch(etag.slice(1, -1), etag)).toBe(false);
  });
});

describe('acceptsGzip', () => {
  it('takes gzip when named or covered by * with a q-value above 0 (RFC 9110 §12.5.3)', () => {
    expect(acceptsGzip('gzip, deflate, br, zstd')).toBe(true);
    expect(acceptsGzip('br;q=1.0, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('x-gzip')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip('')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip('br, deflate')).toBe(false);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('gzip;q=0.000, *')).toBe(false);
    expect(acceptsGzip('gzip;q=nope')).toBe(false);
  });

  it('answers a header it has seen before the same, past the number of headers it keeps', () => {
    for (let i = 0; i < 200; i++) {
      expect(acceptsGzip(`br;q=0.${String(i)}, gzip`)).toBe(true);
      expect(acceptsGzip(`br, gzip;q=0, x${String(i)}`)).toBe(false);
      expect(acceptsGzip('gzip, deflate, br')).toBe(true);
      expect(acceptsGzip('identity')).toBe(false);
    }
    expect(acceptsGzip(`${' '.repeat(1000)}gzip`)).toBe(true);
    expect(acceptsGzip(`${' '.repeat(1000)}gzip;q=0`)).toBe(false);
  });
});

describe('representation', () => {
  it('keeps no failed gzip: the next read tries again', async () => {
    // Not bytes zlib can take: its gzip fails.
    const tagged: TaggedBody = { body: Array(2048).fill(0) as unknown as Buffer, etag: '"x"' };
    await expect(representation(tagged, 'gzip').body()).rejects.toThrow();
    expect(tagged.gzipped).toBeUndefined();
    expect(representation(tagged, 'gzip').made()).toBeUndefined();
  });

  it('has the bytes at hand once made: the body at once, its gzip after the first read that asked for it', async () => {
    const tagged = tagBody({ made: 'x'.repeat(4096) });
    expect(representation(tagged, undefined).made()).toBe(tagged.body);
    const gzipped = representation(tagged, 'gzip');
    expect(gzipped.made()).toBeUndefined();
    const bytes = await gzipped.body();
    expect(gzipped.made()).toBe(bytes);
  });

  const big = {
    packs: Array.from({ length: 200 }, (_, i) => ({ name: `pack-${String(i)}`, phase: 'success' })),
  };

  it('gzips a body once, for every reader that takes gzip, under a weak form of its tag', async () => {
    const tagged = tagBody(big);
    expect(tagged.body.length).toBeGreaterThan(MIN_GZIP_BYTES);
    const a = representation(tagged, 'gzip, deflate');
    const b = representation(tagBody(big), 'gzip');
    expect(a.encoding).toBe('gzip');
    expect(a.etag).toBe(`W/${tagged.etag}`);
    const bytes = await a.body();
    expect(await b.body()).toBe(bytes);
    expect(bytes.length).toBeLessThan(tagged.body.length / 4);
    expect(gunzipSync(bytes).equals(tagged.body)).toBe(true);
    // A client holding either tag holds the same content.
    expect(matchesIfNoneMatch(tagged.etag, a.etag)).toBe(true);
    expect(matchesIfNoneMatch(a.etag, tagged.etag)).toBe(true);
  });

  it("makes a kept body's representations once: a read allocates none (issue 15, fast reads)", () => {
    const tagged = tagBody(big);
    expect(representation(tagged, 'gzip, deflate, br')).toBe(representation(tagged, 'gzip, deflate, br'));
    expect(representation(tagged, 'br')).toBe(representation(tagged, undefined));
    expect(representation(tagged, 'gzip')).not.toBe(representation(tagged, 'br'));
  });

  it('sends the body as it is to a client that does not take gzip, and a small body uncompressed', async () => {
    const tagged = tagBody(big);
    const plain = representation(tagged, 'br');
    expect(plain).toMatchObject({ etag: tagged.etag, encoding: undefined });
    expect(await plain.body()).toBe(tagged.body);
    const small = tagBody({ a: 1 });
    const smallGzip = representation(small, 'gzip');
    expect(smallGzip).toMatchObject({ etag: small.etag, encoding: undefined });
    expect(await smallGzip.body()).toBe(small.body);
    // An agent's chart archive: base64 of a .tgz, which gzip would hardly shrink.
    const archive = tagBody({ content: 'A'.repeat(MAX_GZIP_BYTES) });
    expect(representation(archive, 'gzip')).toMatchObject({ etag: archive.etag, encoding: undefined });
  });
});

const backend = new SqliteBackend();
let t: TestHub;
beforeAll(async () => {
  await backend.setup();
  t = await startTestHub(backend, { server: { webRoot: false } });
});
afterAll(async () => {
  await t.close();
  await backend.teardown();
});

const profile = [
  'apiVersion: strata.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata: { name: tagged }',
  'spec:',
  '  version: 1.0.0',
  '  type: add-on',
  '  packs:',
  '    - name: p',
  '      layer: addon',
  '      version: 0.1.0',
  '      type: manifest',
  '      namespace: default',
  '      manifests:',
  '        - { apiVersion: v1, kind: ConfigMap, metadata: { name: c }, data: { a: b } }',
  '',
].join('\n');

describe('GET with an ETag', () => {
  it('answers 304 while the list is unchanged and 200 with a new tag once it changed', async () => {
    const get = (tag?: string) =>
      fetch(`${t.url}/api/v1/profiles`, {
        headers: { authorization: `Bearer ${t.tokens.viewer}`, ...(tag ? { 'if-none-match': tag } : {}) },
      });
    const first = await get();
    const etag = first.headers.get('etag') ?? '';
    expect(first.status).toBe(200);
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect(await first.json()).toEqual([]);

    const unchanged = await get(etag);
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');
    expect(unchanged.headers.get('etag')).toBe(etag);

    const imported = await t.api('POST', '/api/v1/profiles', {
      raw: profile,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(imported.status, imported.text.slice(0, 300)).toBe(201);

    const changed = await get(etag);
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    // The tagged body is the route's answer as it stands, the same a client without a tag gets.
    const body: unknown = await changed.json();
    expect(body).toEqual((await t.api('GET', '/api/v1/profiles')).json);
    expect(body).toMatchObject([{ name: 'tagged' }]);
  }, 60_000);
});

/** A GET through node:http, which (unlike fetch) neither asks for nor decodes gzip by itself. */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET with an ETag, gzip', () => {
  it('answers a client that takes gzip with the same JSON compressed, and 304 for either tag', async () => {
    for (let i = 0; i < 20; i++) {
      const imported = await t.api('POST', '/api/v1/profiles', {
        raw: profile.replace('name: tagged', `name: gzipped-${String(i)}`),
        headers: { 'content-type': 'application/yaml' },
      });
      expect(imported.status, imported.text.slice(0, 300)).toBe(201);
    }
    const url = `${t.url}/api/v1/profiles`;
    const authorization = `Bearer ${t.tokens.viewer}`;
    const plain = await rawGet(url, { authorization });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    // One body of known length, not chunked.
    expect(Number(plain.headers['content-length'])).toBe(plain.body.length);
    expect(plain.headers['transfer-encoding']).toBeUndefined();
    expect(plain.body.length).toBeGreaterThan(MIN_GZIP_BYTES);
    const plainTag = String(plain.headers.etag);

    const zipped = await rawGet(url, { authorization, 'accept-encoding': 'gzip, deflate, br' });
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('accept-encoding');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(plain.body.length);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    expect(zipped.headers.etag).toBe(`W/${plainTag}`);

    for (const held of [plainTag, `W/${plainTag}`]) {
      const unchanged = await rawGet(url, {
        authorization,
        'accept-encoding': 'gzip',
        'if-none-match': held,
      });
      expect(unchanged.status).toBe(304);
      expect(unchanged.body.length).toBe(0);
      expect(unchanged.headers.etag).toBe(`W/${plainTag}`);
    }
  }, 60_000);
});
