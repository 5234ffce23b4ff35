// Passing a request to the replica that drives its cluster must never let the client choose where it goes.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../hub/index.js';
import { ForwardMarker, MARKER_WINDOW, forwardKeyOf, forwardUrl, replicaForward } from './replica-forward.js';

const driver = 'http://10.0.0.7:7400';

describe('forwardUrl', () => {
  it('keeps the path and query of an ordinary request', () => {
    expect(forwardUrl('/api/v1/clusters/c/page?x=1', driver).href).toBe(
      'http://10.0.0.7:7400/api/v1/clusters/c/page?x=1',
    );
  });

  it('sends an absolute-form request line to the driver, not to the host it names', () => {
    // Fastify routes `GET http://169.254.169.254/api/v1/clusters/c/page` and keeps it whole in request.url.
    for (const url of [
      'http://169.254.169.254/api/v1/clusters/c/page',
      'https://user:pw@evil.example:8443/api/v1/clusters/c/page?x=1',
      '//evil.example/api/v1/clusters/c/page',
    ]) {
      const target = forwardUrl(url, driver);
      expect(target.origin).toBe('http://10.0.0.7:7400');
      expect(target.username).toBe('');
      expect(target.pathname).toBe('/api/v1/clusters/c/page');
    }
  });
});

describe('ForwardMarker', () => {
  const key = forwardKeyOf(Buffer.alloc(32, 7));
  let now = 1_800_000_000_000;
  const marker = new ForwardMarker(key, () => now);
  const request = {
    from: 'replica-a',
    to: 'replica-b',
    method: 'GET',
    path: '/api/v1/clusters/c/page?x=1',
    authorization: 'Bearer viewer-token',
  };
  const { from: _from, ...at } = request;

  it('takes a marker it signed for the same request, recently, once', () => {
    const signed = marker.sign(request);
    expect(signed).toMatch(/^replica-a;1800000000000;[\w-]{12}\.\d+;[\w-]{43}$/);
    // Another replica with the same secret key takes it (the driver is another process than the signer).
    const driver = new ForwardMarker(forwardKeyOf(Buffer.alloc(32, 7)), () => now);
    expect(driver.verify(signed, at)).toBe(true);
    expect(marker.verify(marker.sign(request), at)).toBe(true);
  });

  it('refuses a marker replayed within its minute, and forgets nonces once no clock would take them', () => {
    // Review 9, item 6: a marker read off the plain-HTTP link was taken again for 60 s.
    const driver = new ForwardMarker(key, () => now);
    const signed = marker.sign(request);
    expect(driver.verify(signed, at)).toBe(true);
    expect(driver.verify(signed, at)).toBe(false);
    now += 30_000;
    expect(driver.verify(signed, at)).toBe(false);
    expect(driver.remembered).toBe(1);
    now += 91_000;
    expect(driver.verify(marker.sign(request), at)).toBe(true);
    expect(driver.remembered).toBe(1);
  });

  it('remembers which markers of each sender it took in constant memory, with no cap one client could fill', () => {
    // Review 12, item 2: a capped map of nonces, filled by one viewer's cluster reads at another replica, refused
    // every user's forwarded requests with 503 for two minutes.
    const driver = new ForwardMarker(key, () => now);
    const sender = new ForwardMarker(key, () => now);
    for (let i = 0; i < 10_000; i++) expect(driver.verify(sender.sign(request), at)).toBe(true);
    // One window for them all (a map of nonces held 10,000 entries, and refused past 100,000).
    expect(driver.remembered).toBe(1);
    // Markers passed on side by side arrive a little out of order: each is taken once, whatever the order.
    const batch = Array.from({ length: 50 }, () => sender.sign(request)).reverse();
    for (const signed of batch) expect(driver.verify(signed, at)).toBe(true);
    for (const signed of batch) expect(driver.verify(signed, at)).toBe(false);
    // One further behind the newest than the window is refused, as a replay would be.
    const late = sender.sign(request);
    for (let i = 0; i < MARKER_WINDOW; i++) driver.verify(sender.sign(request), at);
    expect(driver.verify(late, at)).toBe(false);
    // A replica that starts again numbers its markers from 0 under a new start: taken, not mistaken for replays.
    const restarted = new ForwardMarker(key, () => now);
    expect(driver.verify(restarted.sign(request), at)).toBe(true);
    expect(driver.remembered).toBe(2);
    // A made-up marker is refused, and adds no sender.
    expect(driver.verify('replica-a;1;AAAAAAAAAAAA.1;x', at)).toBe(false);
    expect(driver.remembered).toBe(2);
    // Once no marker of theirs could be valid, senders are forgotten.
    now += 121_000;
    expect(driver.verify(sender.sign(request), at)).toBe(true);
    expect(driver.remembered).toBe(1);
  });

  it('refuses one a client made up, or signed for another request, replica, token, key or time', () => {
    const signed = marker.sign(request);
    for (const header of ['replica-a', 'a replica', '', 'x;1;y', 'x;1;n;y', undefined, [signed, signed]]) {
      expect(marker.verify(header, at), String(header)).toBe(false);
    }
    expect(marker.verify(signed, { ...at, method: 'POST' })).toBe(false);
    expect(marker.verify(signed, { ...at, path: '/api/v1/clusters/d/page?x=1' })).toBe(false);
    // Sent to replica-b: replica-c (same key) does not serve it from its own state.
    expect(marker.verify(signed, { ...at, to: 'replica-c' })).toBe(false);
    // With another token (or none) it is no marker.
    expect(marker.verify(signed, { ...at, authorization: 'Bearer admin-token' })).toBe(false);
    expect(marker.verify(signed, { ...at, authorization: undefined })).toBe(false);
    expect(marker.verify(signed.replace('replica-a', 'replica-x'), at)).toBe(false);
    expect(new ForwardMarker(forwardKeyOf(Buffer.alloc(32, 8)), () => now).verify(signed, at)).toBe(false);
    now += 61_000;
    expect(marker.verify(signed, at)).toBe(false);
  });
});

describe('replicaForward', () => {
  const page = Buffer.from(
    JSON.stringify({ packs: Array.from({ length: 200 }, (_, i) => ({ name: `p${i}` })) }),
  );
  const zipped = gzipSync(page);
  let driver: Server;
  let replica: FastifyInstance;
  const marker = new ForwardMarker(forwardKeyOf(Buffer.alloc(32, 1)));
  const seen: IncomingHttpHeaders[] = [];
  /** What the driver read: each request's method, path and body. */
  const read: string[] = [];

  beforeAll(async () => {
    // The driving replica: gzips for a client that accepts it, as the kept page route does.
    driver = createServer((req, res) => {
      seen.push(req.headers);
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        read.push(`${req.method ?? ''} ${req.url ?? ''} ${body}`);
        if (req.method === 'POST') {
          res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ got: body }));
          return;
        }
        const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
        res.writeHead(200, {
          'content-type': 'application/json',
          vary: 'accept-encoding',
          etag: gzip ? 'W/"v1"' : '"v1"',
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        });
        res.end(gzip ? zipped : page);
      });
    });
    await new Promise<void>((done) => driver.listen(0, '127.0.0.1', done));
    const address = `http://127.0.0.1:${String((driver.address() as AddressInfo).port)}`;
    const hub = {
      driverOf: () => Promise.resolve({ id: 'replica-b', address }),
      getCluster: () => Promise.resolve(),
    } as unknown as Hub;
    replica = Fastify();
    replica.addHook(
      'onRequest',
      replicaForward(
        hub,
        () => 'replica-a',
        () => undefined,
        marker,
      ),
    );
    const never = () => Promise.reject(new Error('served here, not passed on'));
    replica.get('/api/v1/clusters/:cluster/page', never);
    replica.post('/api/v1/clusters/:cluster/attachments', never);
    replica.get('/api/v1/clusters/:cluster/packs/:pack', never);
    await replica.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await replica.close();
    await new Promise((done) => driver.close(done));
  });

  const at = (path: string) =>
    `http://127.0.0.1:${String((replica.server.address() as AddressInfo).port)}${path}`;

  it('passes a gzipped answer on as the driver sent it, with the headers that describe its bytes', async () => {
    const res = await get(at('/api/v1/clusters/c/page'), { 'accept-encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.etag).toBe('W/"v1"');
    expect(res.headers.vary).toBe('accept-encoding');
    expect(res.headers['x-strata-replica']).toBe('replica-b');
    expect(res.body.equals(zipped)).toBe(true);
    expect(gunzipSync(res.body).equals(page)).toBe(true);
    const sent = seen.at(-1)?.['x-strata-forwarded-by'];
    expect(sent).toMatch(/^replica-a;\d+;/);
    const forDriver = {
      to: 'replica-b',
      method: 'GET',
      path: '/api/v1/clusters/c/page',
      authorization: undefined,
    };
    expect(marker.verify(sent, forDriver)).toBe(true);
  });

  it('passes on a request whose marker the client made up, and serves one a replica signed here', async () => {
    const before = seen.length;
    const madeUp = await get(at('/api/v1/clusters/c/page'), { 'x-strata-forwarded-by': 'replica-b' });
    expect(madeUp.headers['x-strata-replica']).toBe('replica-b');
    expect(seen).toHaveLength(before + 1);
    const signed = marker.sign({
      from: 'replica-b',
      to: 'replica-a',
      method: 'GET',
      path: '/api/v1/clusters/c/page',
      authorization: undefined,
    });
    const res = await fetch(at('/api/v1/clusters/c/page'), { headers: { 'x-strata-forwarded-by': signed } });
    // Served here: the route of this test refuses to serve (500), and nothing more reached the driver.
    expect(res.status).toBe(500);
    expect(seen).toHaveLength(before + 1);
    // The same marker again (read off the link): passed on, not served from this replica's state.
    const replayed = await get(at('/api/v1/clusters/c/page'), { 'x-strata-forwarded-by': signed });
    expect(replayed.headers['x-strata-replica']).toBe('replica-b');
    expect(seen).toHaveLength(before + 2);
  });

  it('passes a plain answer to a client that does not take gzip', async () => {
    const res = await get(at('/api/v1/clusters/c/page'), {});
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.etag).toBe('"v1"');
    expect(res.body.equals(page)).toBe(true);
  });

  it('frames what it sends the driver itself: a length the client claims cannot make the driver read on', async () => {
    // The review's smuggling: a GET claiming a body, its bytes a request of their own. The driver must read one
    // GET and nothing else: not wait for a body (the next request on the pooled link, anyone's, would be read
    // as it) nor read the client's bytes as a request.
    const smuggled = 'DELETE /api/v1/clusters/c/SMUGGLED HTTP/1.1\r\nhost: x\r\n\r\n';
    const port = (replica.server.address() as AddressInfo).port;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `GET /api/v1/clusters/c/page HTTP/1.1\r\nhost: x\r\nconnection: close\r\n` +
            `content-length: ${String(smuggled.length)}\r\n\r\n${smuggled}`,
        );
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('end', () => {
        resolve(text);
      });
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    // And the link still carries ordinary requests, each read once.
    const after = await get(at('/api/v1/clusters/c/page'), {});
    expect(after.body.equals(page)).toBe(true);
    expect(read.filter((r) => r.includes('SMUGGLED'))).toEqual([]);
  });

  it('refuses a path with dot segments, which the driver would resolve to another route than the one matched', async () => {
    const before = read.length;
    const port = (replica.server.address() as AddressInfo).port;
    for (const dots of ['..', '%2e%2e', '%2E.']) {
      // The path as written (fetch and URL would resolve the dots before sending).
      const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: `/api/v1/clusters/c/packs/${dots}` }, (answer) => {
          let text = '';
          answer.on('data', (chunk: Buffer) => (text += chunk.toString()));
          answer.on('end', () => {
            resolve({ status: answer.statusCode ?? 0, text });
          });
        })
          .on('error', reject)
          .end();
      });
      expect(res.status, dots).toBe(400);
      expect(res.text).toContain('has dot segments');
    }
    expect(read).toHaveLength(before);
  });

  it("streams a request's body to the driver", async () => {
    const res = await fetch(at('/api/v1/clusters/c/attachments'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ profile: 'p' }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ got: '{"profile":"p"}' });
  });
});

/** A GET whose body is read as bytes, not decoded (fetch would inflate it). */
function get(url: string, headers: Record<string, string>) {
  return new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}
