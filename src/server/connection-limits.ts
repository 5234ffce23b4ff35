// What one client can make the hub hold open before it has shown a token. A socket costs the hub a file
// descriptor and a parser whatever it sends, and an anonymous one needs nothing to open: so connections from
// one address that have not yet made an authenticated request are capped, and one more is answered 429 and
// closed. A connection counts until its first request with a valid token (then it counts against that token's
// cap, TokenConnections) or until it closes; public routes (the UI's files, /healthz) never take it out of the
// count, and the keep-alive timeout closes an idle one.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * STRATA_MAX_CONNECTIONS_PER_ADDRESS / --max-connections-per-address. Above what one address opens at once in
 * normal use: the sse-fanout bench opens up to 1,000 streams from 127.0.0.1 in batches, and hub replicas and
 * the page-readers bench keep a few dozen keep-alive connections each (those are authenticated at once).
 */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1024;
/** STRATA_MAX_CONNECTIONS / --max-connections: the streams' default cap (20,000) plus room for API calls. */
export const DEFAULT_MAX_CONNECTIONS = 25_000;
/**
 * STRATA_REQUEST_TIMEOUT / --request-timeout: how long a client may take to send one request, headers and body.
 * A 21 MiB profile bundle needs it at ~180 KiB/s; an event stream is not bounded by it (its request is complete
 * once its headers are in).
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
/** How long a client may take to send a request's headers (Node's default is 60 s). */
export const HEADERS_TIMEOUT_MS = 30_000;

export interface ConnectionLimitsConfig {
  /** Connections one address (an IPv6 client: its /64) may hold open before its first authenticated request. */
  readonly perAddress: number;
  /**
   * A connection that has sent nothing this long after it opened is closed. Node's headersTimeout starts only
   * once a request's first byte is in, and its keep-alive timeout only after a first answer: a socket that
   * never sends a byte was held for ever (review 14, item 6). The headers timeout, so a client has as long to
   * start its request as to finish its headers.
   */
  readonly silentMs: number;
  /**
   * Connections not yet authenticated, from all addresses together. At this many, a new one takes the place of
   * the oldest, which is closed: a connection that shows a token does so with its first request, so it is never
   * the oldest for long, while sockets kept open with public requests (GET /healthz every few seconds) from a
   * handful of addresses could otherwise hold every connection the hub allows (review 15, item 1). Default half
   * of maxConnections.
   */
  readonly maxTotal: number;
}

export class PendingConnections {
  /** Per remote address: its connections that have made no authenticated request yet. */
  private readonly pending = new Map<string, Set<Socket>>();
  /** All of them, whatever their address, oldest first (a Set iterates in the order sockets were added). */
  private readonly all = new Set<Socket>();
  /** Read when the connection opens: a closed socket no longer knows its remote address. */
  private readonly addressOf = new WeakMap<Socket, string>();

  constructor(
    private readonly config: ConnectionLimitsConfig,
    /** Answers a refused socket (a 429 problem) and closes it. */
    private readonly refuse: (socket: Socket, detail: string) => void,
  ) {}

  /** Counts every new connection of `server`, refusing the ones over the cap. */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.opened(socket);
    });
  }

  opened(socket: Socket): void {
    // Dropped already by a listener before this one (the hub-wide cap, app.ts): not a connection to count, nor
    // one to take the place of the oldest.
    if (socket.destroyed) return;
    const address = addressKey(socket.remoteAddress);
    let sockets = this.pending.get(address);
    if (sockets !== undefined && sockets.size >= this.config.perAddress) {
      this.refuse(
        socket,
        `${address} holds ${this.config.perAddress} connections that have made no authenticated request ` +
          '(STRATA_MAX_CONNECTIONS_PER_ADDRESS): close some, or send a token on the ones open',
      );
      return;
    }
    if (this.all.size >= this.config.maxTotal) {
      const oldest = this.all.values().next().value;
      if (oldest !== undefined) {
        this.authenticated(oldest); // out of the count now: its close event comes later
        oldest.destroy();
      }
    }
    sockets = this.pending.get(address); // the oldest may have been this address's last
    if (sockets === undefined) {
      sockets = new Set();
      this.pending.set(address, sockets);
    }
    sockets.add(socket);
    this.all.add(socket);
    this.addressOf.set(socket, address);
    const silent = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, this.config.silentMs);
    silent.unref();
    socket.once('close', () => {
      clearTimeout(silent);
      this.authenticated(socket);
    });
  }

  /** The connection made a request with a valid token: it no longer counts. */
  authenticated(socket: Socket): void {
    const address = this.addressOf.get(socket);
    if (address === undefined) return;
    this.addressOf.delete(socket);
    const sockets = this.pending.get(address);
    if (sockets?.delete(socket) !== true) return;
    this.all.delete(socket);
    if (sockets.size === 0) this.pending.delete(address);
  }

  /** Connections from `address` (its /64 for IPv6) not yet authenticated (tests, metrics). */
  count(address: string): number {
    return this.pending.get(addressKey(address))?.size ?? 0;
  }

  /** Connections not yet authenticated, from any address (metrics: one number, no address label). */
  get total(): number {
    return this.all.size;
  }
}

/**
 * What connections are counted under: an IPv4 address as it is (also written IPv4-mapped, `::ffff:10.0.0.1`), an
 * IPv6 address by its /64, the smallest block a site is given, so one host cannot take a fresh address per
 * connection from the 2^64 its router hands out (review 14, item 6).
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  // An IPv4 client seen through IPv6: mapped (::ffff:a.b.c.d), the well-known NAT64 prefix (64:ff9b::a.b.c.d,
  // every IPv4 client of an IPv6-only hub), or the old IPv4-compatible form (::a.b.c.d): its IPv4 address.
  const embedded = /^(?:::ffff:|64:ff9b::|::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (embedded?.[1] !== undefined) return embedded[1];
  if (!address.includes(':')) return address;
  const bare = address.split('%')[0] ?? address; // a zone index (fe80::1%eth0) names an interface, not a host
  const [head = '', tail] = bare.toLowerCase().split('::');
  const groups = head === '' ? [] : head.split(':');
  if (tail !== undefined) {
    const rest = tail === '' ? [] : tail.split(':');
    groups.push(...Array<string>(Math.max(0, 8 - groups.length - rest.length)).fill('0'), ...rest);
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * STRATA_MAX_CONNECTIONS_PER_TOKEN / --max-connections-per-token: connections one token's requests may hold
 * open. An authenticated connection leaves PendingConnections' count, so without this one token could take every
 * connection the hub allows (maxConnections) from everyone else. Above what one client opens in normal use (a
 * browser keeps 6 per host, a replica a few dozen); the sse-fanout bench, which opens its ~1,000 streams with
 * one token, raises it with the streams' caps (bench/hub-process.ts).
 */
export const DEFAULT_MAX_CONNECTIONS_PER_TOKEN = 256;
/**
 * How long an idle keep-alive connection stays open (Node's default; Fastify's own is 72 s): a client holds an
 * unused socket of the hub for at most this long.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export class TokenConnections {
  /** Per token id: the connections its requests came on. */
  private readonly perToken = new Map<string, Set<Socket>>();
  /** The token a connection counts for: the last one it made a request with. */
  private readonly tokenOf = new WeakMap<Socket, string>();
  /** Connections counted for any token (metrics). */
  private held = 0;

  constructor(readonly limit: number = DEFAULT_MAX_CONNECTIONS_PER_TOKEN) {}

  /**
   * A request with token `tokenId` came on `socket`: false if it is a new connection of a token that holds
   * `limit` already (the request is refused and the connection closed), else true and it counts until it closes.
   */
  admit(socket: Socket, tokenId: string): boolean {
    const current = this.tokenOf.get(socket);
    if (current === tokenId) return true;
    let sockets = this.perToken.get(tokenId);
    if (sockets !== undefined && sockets.size >= this.limit) return false;
    if (current === undefined)
      socket.once('close', () => {
        this.leave(socket);
      });
    else this.leave(socket);
    if (sockets === undefined) {
      sockets = new Set();
      this.perToken.set(tokenId, sockets);
    }
    sockets.add(socket);
    this.held++;
    this.tokenOf.set(socket, tokenId);
    return true;
  }

  /** Connections a token's requests hold open now (tests, metrics). */
  count(tokenId: string): number {
    return this.perToken.get(tokenId)?.size ?? 0;
  }

  /** Connections held by any token's requests (metrics: one number, no token label). */
  get total(): number {
    return this.held;
  }

  private leave(socket: Socket): void {
    const tokenId = this.tokenOf.get(socket);
    if (tokenId === undefined) return;
    this.tokenOf.delete(socket);
    const sockets = this.perToken.get(tokenId);
    if (sockets?.delete(socket) !== true) return;
    this.held--;
    if (sockets.size === 0) this.perToken.delete(tokenId);
  }
}
