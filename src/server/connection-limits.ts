// What one client can make the hub hold open before it has shown a token. A socket costs the hub a file
// descriptor and a parser whatever it sends, and an anonymous one needs nothing to open: so connections from
// one address that have not yet made an authenticated request are capped, and one more is answered 429 and
// closed. A connection counts until its first request with a valid token (then it is an API client's, bounded
// by the stream limits and the hub-wide connection cap) or until it closes; public routes (the UI's files,
// /healthz) never take it out of the count, and the keep-alive timeout closes an idle one.
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
  /** Connections one address may hold open before its first authenticated request. */
  readonly perAddress: number;
}

export class PendingConnections {
  /** Per remote address: its connections that have made no authenticated request yet. */
  private readonly pending = new Map<string, Set<Socket>>();
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
    const address = socket.remoteAddress ?? 'unknown';
    let sockets = this.pending.get(address);
    if (sockets !== undefined && sockets.size >= this.config.perAddress) {
      this.refuse(
        socket,
        `${address} holds ${this.config.perAddress} connections that have made no authenticated request ` +
          '(STRATA_MAX_CONNECTIONS_PER_ADDRESS): close some, or send a token on the ones open',
      );
      return;
    }
    if (sockets === undefined) {
      sockets = new Set();
      this.pending.set(address, sockets);
    }
    sockets.add(socket);
    this.addressOf.set(socket, address);
    socket.once('close', () => {
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
    if (sockets.size === 0) this.pending.delete(address);
  }

  /** Connections from `address` not yet authenticated (tests, metrics). */
  count(address: string): number {
    return this.pending.get(address)?.size ?? 0;
  }
}
