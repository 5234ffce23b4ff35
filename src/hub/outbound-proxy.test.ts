// The proxy helm's OCI pulls go through: a CONNECT (or a plain-HTTP request) to a denied address is refused
// before any connection is made to it, whatever name the client used.
import { createServer as createHttpServer, request, type IncomingMessage } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cidrCheck } from './guarded-http.js';
import { startOutboundProxy, type OutboundProxy } from './outbound-proxy.js';

let proxy: OutboundProxy;
let denied: Server;
let deniedConnections = 0;
let echo: Server;
let web: ReturnType<typeof createHttpServer>;
const port = (server: { address(): AddressInfo | string | null }) => (server.address() as AddressInfo).port;

const names: Record<string, string> = { 'metadata.test': '127.0.0.2', 'echo.test': '127.0.0.1' };

beforeAll(async () => {
  proxy = await startOutboundProxy({
    check: cidrCheck('127.0.0.2/32'),
    resolve: (host) => {
      const address = names[host];
      return address === undefined
        ? Promise.reject(Object.assign(new Error(`${host}: not found`), { code: 'ENOTFOUND' }))
        : Promise.resolve([{ address, family: 4 }]);
    },
  });
  denied = createServer(() => {
    deniedConnections++;
  });
  echo = createServer((socket) => socket.pipe(socket));
  web = createHttpServer((req, res) => {
    if (req.url === '/redirect') {
      res.writeHead(302, { location: `http://127.0.0.2:${port(denied)}/latest/meta-data/` }).end();
      return;
    }
    res.end(`hello ${req.url ?? ''} ${req.headers['proxy-authorization'] ?? 'no proxy credentials'}`);
  });
  await Promise.all([
    new Promise<void>((done) => denied.listen(0, '127.0.0.2', done)),
    new Promise<void>((done) => echo.listen(0, '127.0.0.1', done)),
    new Promise<void>((done) => web.listen(0, '127.0.0.1', done)),
  ]);
});
afterAll(async () => {
  await proxy.close();
  for (const server of [denied, echo, web]) server.close();
});

function viaProxy(options: { method: string; path: string; auth?: boolean }) {
  const url = new URL(proxy.url);
  const auth = `Basic ${Buffer.from(`${url.username}:${url.password}`).toString('base64')}`;
  return request({
    host: url.hostname,
    port: url.port,
    method: options.method,
    path: options.path,
    headers: options.auth === false ? {} : { 'proxy-authorization': auth },
  });
}

function connectVia(target: string, auth = true): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = viaProxy({ method: 'CONNECT', path: target, auth });
    req.on('connect', (res: IncomingMessage, socket: Socket) => {
      resolve({ status: res.statusCode ?? 0, socket });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the outbound proxy', () => {
  it('refuses a CONNECT to a denied address, by name or literal, without connecting, and records it', async () => {
    for (const target of [`metadata.test:${port(denied)}`, `127.0.0.2:${port(denied)}`]) {
      const { status, socket } = await connectVia(target);
      socket.destroy();
      expect(status).toBe(403);
    }
    expect(deniedConnections).toBe(0);
    expect(proxy.refusals).toEqual([
      { target: `metadata.test:${port(denied)}`, address: '127.0.0.2', range: '127.0.0.2/32' },
      { target: `127.0.0.2:${port(denied)}`, address: '127.0.0.2', range: '127.0.0.2/32' },
    ]);
  });

  it('tunnels a CONNECT to an allowed address', async () => {
    const { status, socket } = await connectVia(`echo.test:${port(echo)}`);
    expect(status).toBe(200);
    const back = new Promise<string>((resolve) =>
      socket.once('data', (d: Buffer) => {
        resolve(d.toString());
      }),
    );
    socket.write('ping');
    expect(await back).toBe('ping');
    socket.destroy();
  });

  it('tells why a connection failed, since helm only sees a 502', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const closedPort = port(closed);
    await new Promise((done) => closed.close(done));
    for (const target of ['nowhere.test:443', `127.0.0.1:${closedPort}`]) {
      const { status, socket } = await connectVia(target);
      socket.destroy();
      expect(status).toBe(502);
    }
    expect(proxy.failures).toEqual(['host not found (DNS)', 'connection refused']);
  });

  it('answers only a client with its secret', async () => {
    const { status, socket } = await connectVia(`echo.test:${port(echo)}`, false);
    socket.destroy();
    expect(status).toBe(407);
  });

  it('refuses a plain-HTTP request to a denied address and forwards an allowed one without the proxy credentials', async () => {
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = viaProxy({ method: 'GET', path });
        req.on('response', (res: IncomingMessage) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body });
          });
        });
        req.on('error', reject);
        req.end();
      });
    expect((await get(`http://metadata.test:${port(denied)}/latest/`)).status).toBe(403);
    expect(deniedConnections).toBe(0);
    // Go follows a redirect to a loopback literal without the proxy: the proxy refuses to pass it on.
    expect((await get(`http://echo.test:${port(web)}/redirect`)).status).toBe(403);
    expect(proxy.refusals.at(-1)).toEqual({
      target: `127.0.0.2:${port(denied)}`,
      address: '127.0.0.2',
      range: '127.0.0.2/32',
    });
    expect(await get(`http://echo.test:${port(web)}/v2/`)).toEqual({
      status: 200,
      body: 'hello /v2/ no proxy credentials',
    });
  });
});

describe('the outbound proxy with a byte cap (helm writes a pull to disk before its size is known)', () => {
  const cap = 256 * 1024;
  const sent = 4 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 'x');
  /** Writes `sent` bytes as fast as the reader takes them, then ends; stops when the other side goes. */
  const pump = (out: { write(b: Buffer): boolean; end(): void; once(e: 'drain', f: () => void): void }) => {
    let left = sent;
    const more = () => {
      while (left > 0) {
        left -= chunk.length;
        if (!out.write(chunk)) {
          out.once('drain', more);
          return;
        }
      }
      out.end();
    };
    more();
  };
  let capped: OutboundProxy;
  let flood: Server;
  let floodWeb: ReturnType<typeof createHttpServer>;

  beforeAll(async () => {
    capped = await startOutboundProxy({ check: cidrCheck('127.0.0.2/32'), maxBytes: cap });
    flood = createServer((socket) => {
      socket.on('error', () => undefined);
      pump(socket);
    });
    floodWeb = createHttpServer((_req, res) => {
      res.on('error', () => undefined);
      pump(res);
    });
    await Promise.all([
      new Promise<void>((done) => flood.listen(0, '127.0.0.1', done)),
      new Promise<void>((done) => floodWeb.listen(0, '127.0.0.1', done)),
    ]);
  });
  afterAll(async () => {
    await capped.close();
    for (const server of [flood, floodWeb]) server.close();
  });

  /** A request to `through`, with its credentials. */
  const via = (through: OutboundProxy, method: string, path: string) => {
    const url = new URL(through.url);
    const auth = `Basic ${Buffer.from(`${url.username}:${url.password}`).toString('base64')}`;
    return request({
      host: url.hostname,
      port: url.port,
      method,
      path,
      headers: { 'proxy-authorization': auth },
    });
  };
  const tunnel = (through: OutboundProxy, target: string) =>
    new Promise<{ status: number; socket: Socket }>((resolve, reject) => {
      const req = via(through, 'CONNECT', target);
      req.on('connect', (res: IncomingMessage, socket: Socket) => {
        resolve({ status: res.statusCode ?? 0, socket });
      });
      req.on('error', reject);
      req.end();
    });
  /** Every byte the client gets until the connection ends or is cut. */
  const drain = (stream: NodeJS.ReadableStream & { on(e: 'close', f: () => void): unknown }) =>
    new Promise<number>((resolve) => {
      let bytes = 0;
      stream.on('data', (d: Buffer) => (bytes += d.length));
      stream.on('error', () => undefined);
      stream.on('close', () => {
        resolve(bytes);
      });
    });

  it('cuts the plain-HTTP answer past the cap, says why, and opens no more connections', async () => {
    const body = await new Promise<number>((resolve, reject) => {
      const req = via(capped, 'GET', `http://127.0.0.1:${port(floodWeb)}/blob`);
      req.on('response', (res: IncomingMessage) => void drain(res).then(resolve));
      req.on('error', reject);
      req.end();
    });
    expect(body).toBeLessThan(cap + 2 * chunk.length);
    expect(capped.overLimit).toBe(true);
    expect(capped.failures).toEqual([`the remote sent more than ${cap} bytes`]);
    const refused = await tunnel(capped, `127.0.0.1:${port(flood)}`);
    refused.socket.destroy();
    expect(refused.status).toBe(502);
  });

  it('cuts a CONNECT tunnel past the cap', async () => {
    const fresh = await startOutboundProxy({ check: cidrCheck('127.0.0.2/32'), maxBytes: cap });
    try {
      const { status, socket } = await tunnel(fresh, `127.0.0.1:${port(flood)}`);
      expect(status).toBe(200);
      expect(await drain(socket)).toBeLessThan(cap + 2 * chunk.length);
      expect(fresh.overLimit).toBe(true);
    } finally {
      await fresh.close();
    }
  });
});
