// Conditional GETs (issue 15, "Fast reads"): 304 while the view is unchanged, 200 with a new tag after a change,
// and a 200 body that is exactly what the route answers without a tag.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { matchesIfNoneMatch, tagBody } from './etag.js';
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
