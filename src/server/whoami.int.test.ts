import { afterAll, beforeAll, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { startTestHub, type TestHub } from './testing/server.js';

let hub: TestHub;
const backend = new SqliteBackend();
beforeAll(async () => {
  await backend.setup();
  hub = await startTestHub(backend, { server: { webRoot: false } });
});
afterAll(async () => {
  await hub.close();
  await backend.teardown();
});

it('whoami tells each token its own name and role, and nothing without one', async () => {
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    const res = await hub.api('GET', '/api/v1/whoami', { role });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ role, name: expect.stringContaining(`test-${role}`) as unknown });
    expect(res.text).not.toContain(hub.tokens[role]);
  }
  expect((await hub.api('GET', '/api/v1/whoami', { role: 'none' })).status).toBe(401);
});
