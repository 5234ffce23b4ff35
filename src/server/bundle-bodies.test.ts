// Gzip bodies (profile bundles, up to ~21 MiB each) are read only by the routes that take them, and only so many
// at once: any token, a viewer's included, could otherwise make the hub hold 21 MiB per request on any route.
// Each upload here announces a large body and sends a few bytes of it: the hub answers before the rest comes,
// or holds the request open while it reads.
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { MAX_BUNDLES_IN_FLIGHT } from './app.js';
import type { Problem } from './problem.js';
import { startTestHub, type TestHub } from './testing/server.js';

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

interface Upload {
  readonly req: ClientRequest;
  /** The hub's answer, whenever it comes (it may come before the body is all sent). */
  readonly answer: Promise<{ status: number; problem: Problem }>;
}

/** A POST announcing `length` gzip bytes, of which it sends only the first KiB (the rest never comes). */
function startUpload(path: string, length = 10 * 1024 * 1024): Upload {
  const url = new URL(path, t.url);
  const req = request(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${t.tokens.viewer}`,
      'content-type': 'application/gzip',
      'content-length': String(length),
    },
  });
  const answer = new Promise<{ status: number; problem: Problem }>((resolve) => {
    req.on('response', (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, problem: JSON.parse(text) as Problem });
      });
    });
    // Dropped by this side (destroy): no answer, which is what the tests that drop one expect.
    req.on('error', () => {
      resolve({ status: 0, problem: {} as Problem });
    });
  });
  req.write(Buffer.alloc(1024, 0x1f));
  return { req, answer };
}

/** Whether `promise` settles within `ms`. */
const settlesWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) =>
      setTimeout(() => {
        resolve(false);
      }, ms),
    ),
  ]);

describe('gzip bodies', () => {
  it('are refused (415) by a route that takes none before the body is read', async () => {
    const upload = startUpload('/api/v1/clusters/c1/attachments/app/preview');
    const { status, problem } = await upload.answer;
    upload.req.destroy();
    expect(status).toBe(415);
    expect(problem).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(problem.detail).toBe('POST /api/v1/clusters/c1/attachments/app/preview takes no gzip body');
  });

  it(`are read ${MAX_BUNDLES_IN_FLIGHT} at a time: one more is 503 HUB_BUSY at once, and a slot frees when an upload is dropped`, async () => {
    const held = Array.from({ length: MAX_BUNDLES_IN_FLIGHT }, () =>
      startUpload('/api/v1/profiles/validate?file=a.tgz'),
    );
    try {
      // The held uploads take their slots as the hub starts reading them: poll until one more is refused.
      let refused: { status: number; problem: Problem } | undefined;
      await expect
        .poll(
          async () => {
            const extra = startUpload('/api/v1/profiles/validate?file=b.tgz');
            const answered = await settlesWithin(extra.answer, 2_000);
            refused = answered ? await extra.answer : undefined;
            extra.req.destroy();
            return refused?.status;
          },
          { timeout: 20_000, interval: 100 },
        )
        .toBe(503);
      expect(refused?.problem).toMatchObject({ code: 'HUB_BUSY' });
      expect(refused?.problem.detail).toContain(`reading ${MAX_BUNDLES_IN_FLIGHT} profile bundles already`);
      for (const h of held) expect(await settlesWithin(h.answer, 0)).toBe(false);

      // A client that gives up frees its slot: the next upload is read (and judged on its bytes: not gzip).
      held[0]?.req.destroy();
      await expect
        .poll(
          async () =>
            (
              await t.api('POST', '/api/v1/profiles/validate?file=c.tgz', {
                role: 'viewer',
                raw: Buffer.from('not a gzip stream'),
                headers: { 'content-type': 'application/gzip' },
              })
            ).status,
          { timeout: 10_000, interval: 100 },
        )
        .toBe(422);
    } finally {
      for (const h of held) h.req.destroy();
    }
  });
});
