// A forward proxy on 127.0.0.1 for helm's OCI pulls: helm (Go) resolves names and follows a registry's
// redirects itself, so it is given this proxy (HTTPS_PROXY/HTTP_PROXY) and every connection it opens goes
// through the outbound policy here: a CONNECT target (or a plain-HTTP request's host) is resolved once, every
// address is checked against the deny set, and the connection is made to the checked address. A refused target
// gets a 403 and is remembered, so the fetch can name it.
//
// Go does not use a proxy for `localhost` or a loopback IP literal, whatever NO_PROXY says
// (golang.org/x/net/http/httpproxy, config.useProxy): those connections never reach this proxy. That only
// matters while loopback is denied, and then chart-fetch.ts does not run helm at all (oci-registry.ts pulls).
//
// helm writes what it pulls to disk before anyone can look at its size, so the proxy also counts the bytes that
// come back through it (`maxBytes`, over all connections): past the cap it cuts every connection and takes no
// more, and a hostile registry cannot fill the disk with an endless layer before helm's timeout.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connect, isIP, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  networkCause,
  pinnedLookup,
  systemResolve,
  type AddressCheck,
  type ResolveAll,
} from './guarded-http.js';
import { http } from '../shared/node-http.js';

export interface ProxyRefusal {
  /** `host:port` as the client asked for it. */
  readonly target: string;
  readonly address: string;
  readonly range: string;
}

export interface OutboundProxy {
  /** `http://strata:<secret>@127.0.0.1:<port>`, for HTTPS_PROXY / HTTP_PROXY. */
  readonly url: string;
  /** The targets refused so far, in order. */
  readonly refusals: readonly ProxyRefusal[];
  /**
   * Why a connection the proxy tried failed (classified: `host not found (DNS)`, `connection refused`, …), in
   * order: helm only sees a 502 from the proxy.
   */
  readonly failures: readonly string[];
  /** More than `maxBytes` came back: every connection was cut then, and no new one is made. */
  readonly overLimit: boolean;
  close(): Promise<void>;
}

export interface OutboundProxyOptions {
  readonly check: AddressCheck;
  readonly resolve?: ResolveAll;
  /** The most bytes the proxy passes back from upstreams, over all its connections; default unlimited. */
  readonly maxBytes?: number;
}

/**
 * Starts the proxy on 127.0.0.1 at a free port. It answers only a client that knows its per-proxy secret (sent
 * by Go as Proxy-Authorization from the proxy URL's user info): another local process cannot borrow the hub's
 * network standing through it.
 */
export async function startOutboundProxy(options: OutboundProxyOptions): Promise<OutboundProxy> {
  const secret = randomBytes(18).toString('base64url');
  const expected = Buffer.from(`Basic ${Buffer.from(`strata:${secret}`).toString('base64')}`);
  const refusals: ProxyRefusal[] = [];
  const failures: string[] = [];
  const sockets = new Set<Duplex>();
  let received = 0;
  let overLimit = false;
  /** Counts a chunk from an upstream; past the cap, cuts every connection (true: drop the chunk). */
  const over = (chunk: Buffer): boolean => {
    received += chunk.length;
    if (overLimit || options.maxBytes === undefined || received <= options.maxBytes) return overLimit;
    overLimit = true;
    failures.push(`the remote sent more than ${options.maxBytes} bytes`);
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections();
    return true;
  };
  const authorized = (req: IncomingMessage) => {
    const given = Buffer.from(req.headers['proxy-authorization'] ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  /** The checked address for `host`, or the refusal (recorded), or undefined when it does not resolve. */
  const target = async (host: string, port: string) => {
    const name = host.replace(/^\[(.*)\]$/, '$1');
    let addresses: readonly { address: string; family: number }[];
    if (isIP(name) !== 0) addresses = [{ address: name, family: isIP(name) }];
    else addresses = await (options.resolve ?? systemResolve)(name).catch(() => []);
    if (addresses.length === 0) failures.push('host not found (DNS)');
    for (const { address } of addresses) {
      const range = options.check(address);
      if (range !== undefined) {
        refusals.push({ target: `${host}:${port}`, address, range });
        return 'refused' as const;
      }
    }
    return addresses[0];
  };

  const server = http.createServer((req, res) => {
    // A plain-HTTP request in absolute form (`GET http://registry:5000/v2/… HTTP/1.1`).
    void (async () => {
      const url = URL.parse(req.url ?? '');
      if (!authorized(req)) {
        res.writeHead(407, { 'proxy-authenticate': 'Basic realm="strata"' }).end();
        return;
      }
      if (url === null || url.protocol !== 'http:') {
        res.writeHead(400).end();
        return;
      }
      if (overLimit) {
        res.writeHead(502).end();
        return;
      }
      const port = url.port || '80';
      const checked = await target(url.hostname, port);
      if (checked === 'refused') {
        res.writeHead(403).end();
        return;
      }
      if (checked === undefined) {
        res.writeHead(502).end();
        return;
      }
      const headers = { ...req.headers };
      delete headers['proxy-authorization'];
      delete headers['proxy-connection'];
      const upstream = http.request(
        url,
        { method: req.method, headers, lookup: pinnedLookup(checked), agent: false },
        (answer) => {
          // Go would follow a redirect to a loopback literal or `localhost` without this proxy: refuse it here,
          // where the answer can still be read (a CONNECT tunnel's cannot). Defence in depth: with the named
          // ranges, a denied loopback address means helm is not run at all (chart-fetch.ts).
          const refused = bypassingRedirect(answer.headers.location, url, options.check);
          if (refused !== undefined) {
            refusals.push(refused);
            answer.resume();
            res.writeHead(403).end();
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.on('data', (chunk: Buffer) => {
            if (over(chunk)) answer.destroy();
          });
          answer.pipe(res);
        },
      );
      upstream.on('error', (error) => {
        failures.push(networkCause(error));
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
    })();
  });

  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    void (async () => {
      if (!authorized(req)) {
        client.end(
          'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="strata"\r\n\r\n',
        );
        return;
      }
      const at = (req.url ?? '').lastIndexOf(':');
      const host = (req.url ?? '').slice(0, at);
      const port = (req.url ?? '').slice(at + 1);
      if (at <= 0 || !/^\d{1,5}$/.test(port)) {
        client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
        return;
      }
      if (overLimit) {
        client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
        return;
      }
      const checked = await target(host, port);
      if (checked === 'refused') {
        client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      if (checked === undefined) {
        client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
        return;
      }
      const upstream: Socket = connect({ host: checked.address, port: Number(port) });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      let established = false;
      upstream.on('connect', () => {
        established = true;
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.on('data', (chunk: Buffer) => {
          if (over(chunk)) upstream.destroy();
        });
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', (error) => {
        if (!established) failures.push(networkCause(error));
        if (!established && client.writable) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
        else client.destroy();
      });
      client.on('close', () => upstream.destroy());
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://strata:${secret}@127.0.0.1:${port}`,
    refusals,
    failures,
    get overLimit() {
      return overLimit;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * A redirect Go would follow around the proxy (to `localhost` or a loopback literal: httpproxy's useProxy) into a
 * denied address, as the refusal to record; undefined for any other answer.
 */
function bypassingRedirect(
  location: string | undefined,
  from: URL,
  check: AddressCheck,
): ProxyRefusal | undefined {
  const next = location === undefined ? null : URL.parse(location, from.href);
  if (next === null) return undefined;
  const host = next.hostname.replace(/^\[(.*)\]$/, '$1');
  const address = host.toLowerCase() === 'localhost' ? '127.0.0.1' : isIP(host) !== 0 ? host : undefined;
  const range = address === undefined ? undefined : check(address);
  if (address === undefined || range === undefined) return undefined;
  const port = next.port || (next.protocol === 'https:' ? '443' : '80');
  return { target: `${next.hostname}:${port}`, address, range };
}
