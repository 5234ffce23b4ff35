import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { startTestHub, type TestHub } from './testing/server.js';

const root = mkdtempSync(join(tmpdir(), 'strata-web-'));
let hub: TestHub;
const backend = new SqliteBackend();

beforeAll(async () => {
  await backend.setup();
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Strata</title>');
  writeFileSync(join(root, 'assets', 'app-1a2b.js'), 'console.log(1)');
  hub = await startTestHub(backend, { server: { webRoot: root } });
});

afterAll(async () => {
  await hub.close();
  await backend.teardown();
});

describe('the UI at /', () => {
  it('serves index.html at / and for any page of the UI, with no caching', async () => {
    for (const path of ['/', '/clusters/demo']) {
      const res = await fetch(hub.url + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<title>Strata</title>');
    }
  });

  it('serves hashed assets with their type and long caching', async () => {
    const res = await fetch(`${hub.url}/assets/app-1a2b.js`);
    expect(res.headers.get('content-type')).toContain('text/javascript');
    expect(res.headers.get('cache-control')).toContain('immutable');
  });

  it('never serves a file outside the UI folder', async () => {
    const res = await fetch(`${hub.url}/..%2f..%2f..%2fetc%2fpasswd`);
    expect(await res.text()).not.toContain('root:');
  });

  it('leaves unknown API paths a problem+json 404', async () => {
    const res = await hub.api('GET', '/api/v1/nope');
    expect(res.status).toBe(404);
    expect(res.contentType).toContain('application/problem+json');
  });
});
