// Gzip bodies (profile bundles, up to ~21 MiB each) are read only by the routes that take them, and only so many
// at once: any token, a viewer's included, could otherwise make the hub hold 21 MiB per request on any route.
// Each upload here announces a large body and sends a few bytes of it: the hub answers before the rest comes,
// or holds the request open while it reads.
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../store/testing/backends.js';
import { MAX_BUNDLES_IN_FLIGHT, MAX_BUNDLES_PER_TOKEN } from './app.js';
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
function startUpload(path: string, options: { length?: number; token?: string } = {}): Upload {
  const url = new URL(path, t.url);
  const req = request(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${options.token ?? t.tokens.viewer}`,
      'content-type': 'application/gzip',
      'content-length': String(options.length ?? 10 * 1024 * 1024),
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

  it(`are read ${MAX_BUNDLES_IN_FLIGHT} at a time, ${MAX_BUNDLES_PER_TOKEN} per token, one kept for operators: 429 over a token's share, 503 HUB_BUSY when full`, async () => {
    // Review 14, finding 4: one viewer token trickling 4 uploads held every slot; operators' imports got 503.
    const viewer2 = (await t.store.tokens.create({ role: 'viewer', name: 'bundles-viewer-2' })).plaintext;
    const validate = (token?: string) =>
      startUpload('/api/v1/profiles/validate?file=a.tgz', token === undefined ? {} : { token });
    const held: Upload[] = [];
    /** Starts uploads until one is answered at once (refused): its answer; the others are held (being read). */
    const fillUntilRefused = async (start: () => Upload) => {
      for (;;) {
        const upload = start();
        // A held upload is being read: it has no answer. A refused one is answered before its body is read.
        if (await settlesWithin(upload.answer, 1_000)) {
          upload.req.destroy();
          return upload.answer;
        }
        held.push(upload);
        if (held.length > MAX_BUNDLES_IN_FLIGHT)
          throw new Error('more uploads held than the hub reads at once');
      }
    };
    try {
      const overShare = await fillUntilRefused(() => validate());
      expect(held).toHaveLength(MAX_BUNDLES_PER_TOKEN);
      expect(overShare.status).toBe(429);
      expect(overShare.problem).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
      expect(overShare.problem.detail).toContain(
        `this token has ${MAX_BUNDLES_PER_TOKEN} profile bundles being read already, the most one token may have (${MAX_BUNDLES_PER_TOKEN})`,
      );

      // Another viewer token gets what is left of the viewers' share, not the slot kept for operators.
      const viewersFull = await fillUntilRefused(() => validate(viewer2));
      expect(held).toHaveLength(MAX_BUNDLES_IN_FLIGHT - 1);
      expect(viewersFull.status).toBe(503);
      expect(viewersFull.problem).toMatchObject({ code: 'HUB_BUSY' });
      expect(viewersFull.problem.detail).toContain('the rest is kept for operators and admins');

      // An operator's import is read while the viewers hold theirs (judged on its bytes: not a gzip stream).
      const imported = await t.api('POST', '/api/v1/profiles', {
        role: 'operator',
        raw: Buffer.from('not a gzip stream'),
        headers: { 'content-type': 'application/gzip' },
      });
      expect(imported.status).toBe(422);

      // With every slot taken, an admin's is refused as the hub being full.
      const full = await fillUntilRefused(() =>
        startUpload('/api/v1/profiles?file=b.tgz', { token: t.tokens.operator }),
      );
      expect(held).toHaveLength(MAX_BUNDLES_IN_FLIGHT);
      const admin = startUpload('/api/v1/profiles?file=c.tgz', { token: t.tokens.admin });
      expect(await settlesWithin(admin.answer, 5_000)).toBe(true);
      admin.req.destroy();
      for (const refused of [full, await admin.answer]) {
        expect(refused.status).toBe(503);
        expect(refused.problem).toMatchObject({ code: 'HUB_BUSY' });
        expect(refused.problem.detail).toContain(
          `the hub is reading ${MAX_BUNDLES_IN_FLIGHT} profile bundles already`,
        );
      }
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
  }, 60_000);
});
