// The live stream: Server-Sent Events fanned out from ONE hub subscription to every connected client.
//
// Resume without gaps or duplicates: a client that sends Last-Event-ID N is first added to the live fan-out
// in "replaying" mode (live events are buffered), then gets `eventsSince(N)` page by page from the store, then
// the buffered live events whose id is above the last one replayed, then live events. Events are published
// after their commit and ids follow commit order (src/store/README.md), so anything committed before the
// subscription is in the replay and anything after is in the buffer; the id check drops what is in both.
// Retention deletes old pack statuses and transitions: a client resuming from below the highest id it deleted
// would get what is left as if nothing were missing, so it gets `history.pruned` first (a Kubernetes watch's
// 410 Gone: read your views again) and the replay goes on after that id.
//
// After the replay (or at once, without Last-Event-ID) the client gets a `: live` comment: everything stored up
// to its connection has been sent, so a client that wants history only (`strata events` without --follow)
// can stop exactly there instead of guessing from a quiet spell.
//
// A client that cannot keep up with live events (its socket buffer over `maxBufferedBytes`) is disconnected
// rather than buffered without bound: it reconnects with Last-Event-ID and loses nothing. The replay is
// different: it is paced by the socket (the next event waits for the buffer to drain), since a client that
// reconnected because it fell behind would otherwise be cut off again by its own replay, for ever. What a
// replaying client may hold is bounded all the same: the live events buffered during its replay count against
// `maxBufferedBytes` too, and a replay that waits longer than `replayStallMs` for the socket to drain ends the
// stream (a client that stops reading would otherwise pin every live event for as long as it stays connected).
// Each cut loses nothing: the client resumes after the last id it received, having made progress.
//
// Fan-out at scale (issue 15: 10,000 clients): the kernel's write per socket is the cost, so a live event is not
// written at once. Events published in one turn of the event loop are fanned out together at its end
// (setImmediate): each client gets them in one socket write, and clients that see the same events get the same
// bytes, encoded and framed once. A burst (a status, its transition, the cluster's summary) is then one write per
// client instead of three, and while a fan-out to 10,000 sockets runs, the events that arrive meanwhile wait for
// one next fan-out instead of one each. The bytes go straight to the socket as a chunk of the response (framed
// once for all, as Node's ServerResponse would frame each), which skips Node's per-write framing and cork.
//
// What is left per client is the kernel's: a write of one turn's events to a loopback TCP socket costs ~8 µs of
// system time (the receiver's TCP input runs in the writer's call) against ~2 µs of JavaScript. So the stream
// avoids writes nobody needs: a heartbeat goes only to a stream that had nothing written for a period. (Pausing
// after a long fan-out so that more events share the next one halved the writes of a burst, but an event then
// waited for the pause, and the delivery p99 of bench/sse-fanout.bench.ts got worse, not better.)
//
// A stream is authorized once, when it opens, so a revoked token must end it: the revoke route ends this
// replica's streams of that token at once (`disconnectToken`), and every `tokenCheckMs` the stream asks the
// store which of its tokens still exist, so a revocation made through another replica ends them too.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  batchOf,
  formatEvent,
  sharedBytes,
  type Batch,
  type Pending,
  type SharedBytes,
  type StreamEvent,
} from './sse-wire.js';

export { formatEvent, type StreamEvent } from './sse-wire.js';

export interface EventSource {
  subscribe(listener: (event: StreamEvent) => void): () => void;
  eventsSince(
    afterId: number,
    options: { cluster?: string; limit?: number },
  ): Promise<readonly StreamEvent[]>;
  /** The highest event id retention deleted (of `cluster` only, when given), 0 when none; absent: never deleted. */
  eventsPrunedThrough?(cluster?: string): Promise<number>;
}

export interface EventStreamOptions {
  /**
   * A stream that has had nothing written for this long gets a comment line, so proxies and idle timeouts do not
   * close it. Default 15 s.
   */
  readonly heartbeatMs?: number;
  /** Default 1 MiB. */
  readonly maxBufferedBytes?: number;
  /** Replay page size. Default 1000. */
  readonly pageSize?: number;
  /** A replay that waits this long for the client to read ends the stream. Default 60 s. */
  readonly replayStallMs?: number;
  /** Told about every event that reaches the fan-out (metrics). */
  readonly onEvent?: (event: StreamEvent) => void;
  /** Of these token ids, the ones that still exist; absent: streams are never re-checked. */
  readonly liveTokens?: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
  /** How often open streams' tokens are re-checked with `liveTokens`. Default 1 s. */
  readonly tokenCheckMs?: number;
}

export interface ConnectOptions {
  readonly cluster?: string;
  /** The token the stream was opened with: revoking it ends the stream. */
  readonly tokenId?: string;
  /** Resume after this id; absent: live events only, from now. */
  readonly lastEventId?: number;
}

interface Client {
  readonly res: ServerResponse;
  /**
   * The response's socket once its headers went out: shared bytes are written to it directly. Undefined while
   * the response waits for the socket (a request pipelined behind another): it is then written through `res`.
   */
  socket: Socket | undefined;
  readonly cluster: string | undefined;
  readonly tokenId: string | undefined;
  /** Events published before this (a publish sequence number) are not the client's: it connected after them. */
  readonly since: number;
  /** The highest persisted id written to this client. */
  lastId: number;
  /** Live events that arrived while replaying, as written; undefined once live. */
  buffer: Buffered[] | undefined;
  /** The bytes in `buffer`. */
  bufferedBytes: number;
  /** Heartbeat ticks (half a heartbeat period apart) since anything was written to it. */
  silentTicks: number;
}

interface Buffered {
  readonly id: number | undefined;
  readonly text: string;
}

/** Written once per connection, after the replay: from here on the events are live. */
export const LIVE_COMMENT = ': live\n\n';

const HEARTBEAT = sharedBytes(': heartbeat\n\n');
/** Heartbeats are written to this many clients per turn of the event loop, so live events go out in between. */
const HEARTBEAT_SLICE = 500;
/**
 * The k-th point of the base-2 van der Corput sequence, in [0, 1): k's bits mirrored after the binary point (0,
 * ½, ¼, ¾, ⅛, ⅝, …). Where each fan-out starts in the client list.
 */
function vanDerCorput(k: number): number {
  let x = 0;
  for (let bits = k, f = 0.5; bits > 0; bits >>>= 1, f /= 2) if (bits & 1) x += f;
  return x;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // nginx would otherwise buffer the stream.
  'x-accel-buffering': 'no',
} as const;

export class EventStream {
  readonly #clients = new Set<Client>();
  readonly #source: EventSource;
  readonly #options: Required<Omit<EventStreamOptions, 'onEvent' | 'liveTokens'>> &
    Pick<EventStreamOptions, 'onEvent' | 'liveTokens'>;
  #unsubscribe: (() => void) | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #tokenCheck: NodeJS.Timeout | undefined;
  #checking = false;
  /** Live events published since the last fan-out. */
  #pending: Pending[] = [];
  /** The next publish sequence number. */
  #seq = 0;
  #fanOut: NodeJS.Immediate | undefined;
  /** Fan-outs so far: where the next one starts in the client list (see #sendPending). */
  #fanOuts = 0;

  constructor(source: EventSource, options: EventStreamOptions = {}) {
    this.#source = source;
    this.#options = {
      heartbeatMs: options.heartbeatMs ?? 15_000,
      maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
      pageSize: options.pageSize ?? 1000,
      replayStallMs: options.replayStallMs ?? 60_000,
      onEvent: options.onEvent,
      liveTokens: options.liveTokens,
      tokenCheckMs: options.tokenCheckMs ?? 1000,
    };
  }

  /** Subscribes to the hub (once, for every client) and starts the heartbeat. */
  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#source.subscribe((event) => {
      this.#publish(event);
    });
    // Ticks at half the period; a stream silent for two ticks in a row gets a heartbeat. An idle stream then gets
    // one every period, as before, and a stream that events keep busy gets none: at 10,000 clients a round of
    // heartbeats is 10,000 socket writes, as costly as fanning out an event, for bytes nobody needs.
    this.#heartbeat = setInterval(() => {
      const silent: Client[] = [];
      for (const client of this.#clients) if (++client.silentTicks >= 2) silent.push(client);
      this.#sendHeartbeats(silent);
    }, this.#options.heartbeatMs / 2);
    this.#heartbeat.unref();
    if (this.#options.liveTokens !== undefined) {
      this.#tokenCheck = setInterval(() => void this.#checkTokens(), this.#options.tokenCheckMs);
      this.#tokenCheck.unref();
    }
  }

  /** Ends every stream opened with token `id` (it was revoked); returns how many. */
  disconnectToken(id: string): number {
    let ended = 0;
    for (const client of this.#clients) {
      if (client.tokenId !== id) continue;
      this.#clients.delete(client);
      client.res.end();
      ended++;
    }
    return ended;
  }

  async #checkTokens(): Promise<void> {
    const ids = new Set<string>();
    for (const client of this.#clients) if (client.tokenId !== undefined) ids.add(client.tokenId);
    if (ids.size === 0 || this.#checking || this.#options.liveTokens === undefined) return;
    this.#checking = true;
    try {
      const live = await this.#options.liveTokens([...ids]);
      for (const id of ids) if (!live.has(id)) this.disconnectToken(id);
    } catch {
      // The database does not answer: /readyz says so; the streams stay until the next check can decide.
    } finally {
      this.#checking = false;
    }
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /**
   * Streams to `res` (headers already sent by the caller) until the client goes away or the stream is
   * closed. Resolves once the client is live.
   */
  async connect(res: ServerResponse, options: ConnectOptions): Promise<void> {
    const client: Client = {
      res,
      socket: undefined,
      cluster: options.cluster,
      tokenId: options.tokenId,
      since: this.#seq,
      lastId: options.lastEventId ?? 0,
      buffer: options.lastEventId === undefined ? undefined : [],
      bufferedBytes: 0,
      silentTicks: 0,
    };
    this.#clients.add(client);
    res.on('close', () => this.#clients.delete(client));
    // A comment first, so the client sees the stream open before the first event. It sends the headers too:
    // from here on, bytes written to the socket follow them.
    this.#write(client, ': connected\n\n');
    client.socket = res.socket ?? undefined;
    if (client.buffer === undefined) {
      this.#write(client, LIVE_COMMENT);
      return;
    }
    try {
      const resumedFrom = client.lastId;
      await this.#checkPruned(client, resumedFrom, resumedFrom);
      const replayFrom = client.lastId;
      for (;;) {
        const page = await this.#source.eventsSince(client.lastId, {
          ...(client.cluster === undefined ? {} : { cluster: client.cluster }),
          limit: this.#options.pageSize,
        });
        for (const event of page) {
          if (
            !this.#deliver(client, event, { paced: true }) &&
            !(await drained(res, this.#options.replayStallMs))
          )
            this.#drop(client);
          if (res.destroyed) break;
        }
        if (page.length < this.#options.pageSize || res.destroyed) break;
      }
      // A retention pass during the replay may have deleted rows before the replay read them.
      if (!res.destroyed) await this.#checkPruned(client, resumedFrom, replayFrom);
    } catch (error) {
      // The client gets a closed stream and reconnects from its last id; the caller logs the cause.
      this.#clients.delete(client);
      res.end();
      throw error;
    }
    // Cut off during the replay (#drop): nothing more to write.
    if (res.destroyed) return;
    const buffered = client.buffer;
    client.buffer = undefined;
    client.bufferedBytes = 0;
    let text = '';
    for (const { id, text: written } of buffered) {
      if (id !== undefined) {
        if (id <= client.lastId) continue;
        client.lastId = id;
      }
      text += written;
    }
    this.#write(client, text + LIVE_COMMENT);
  }

  /**
   * A resume from below what retention deleted would silently skip the deleted events: the client is told (a
   * Kubernetes watch answers 410 Gone here) and the stream goes on after the highest deleted id, where nothing
   * is missing. Checked before the replay, which then reads from there (`readFrom`), and after it, in case a
   * retention pass deleted rows above `readFrom` meanwhile. Last-Event-ID 0 asks for everything kept (`strata
   * events`), so it is never told.
   */
  async #checkPruned(client: Client, resumedFrom: number, readFrom: number): Promise<void> {
    if (resumedFrom === 0 || this.#source.eventsPrunedThrough === undefined) return;
    const through = await this.#source.eventsPrunedThrough(client.cluster);
    if (through <= readFrom) return;
    const at = Math.max(through, client.lastId);
    client.lastId = at;
    this.#write(
      client,
      formatEvent({
        id: at,
        kind: 'history.pruned',
        time: new Date().toISOString(),
        data: { lastEventId: resumedFrom },
      }),
      { paced: true },
    );
  }

  /** Ends every connection and the hub subscription. */
  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    // What was published before the close still goes out, as it did when each event was written at once.
    if (this.#fanOut) clearImmediate(this.#fanOut);
    this.#fanOut = undefined;
    this.#sendPending();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#tokenCheck) clearInterval(this.#tokenCheck);
    for (const client of this.#clients) client.res.end();
    this.#clients.clear();
  }

  #publish(event: StreamEvent): void {
    this.#options.onEvent?.(event);
    this.#pending.push({ seq: this.#seq++, event });
    this.#fanOut ??= setImmediate(() => {
      this.#fanOut = undefined;
      this.#sendPending();
    });
  }

  /** Writes the pending events to every client: per client one write, the same bytes for clients alike. */
  #sendPending(): void {
    const pending = this.#pending;
    this.#pending = [];
    const firstSeq = pending[0]?.seq;
    if (firstSeq === undefined) return;
    const batches = new Map<string | undefined, Batch | undefined>();
    // A fan-out to 10,000 sockets takes ~100 ms, so the client written last gets each event that much later than
    // the first. Written in the order they connected, the same clients would be last every time; each fan-out
    // starts at another place in the list instead (halfway, then a quarter, three quarters, an eighth…: any run of
    // 2^k fan-outs starts at 2^k evenly spaced places), so that wait is shared by every client rather than always
    // borne by the latest to connect. A snapshot of the set: a client cut off during the fan-out is skipped by its
    // destroyed response, as before.
    const clients = [...this.#clients];
    const start = Math.floor(vanDerCorput(this.#fanOuts) * clients.length);
    this.#fanOuts = (this.#fanOuts + 1) >>> 0;
    for (let k = 0; k < clients.length; k++) {
      const client = clients[(start + k) % clients.length];
      if (client === undefined) continue;
      let batch = batches.get(client.cluster);
      if (batch === undefined && !batches.has(client.cluster)) {
        batch = batchOf(pending, client.cluster);
        batches.set(client.cluster, batch);
      }
      if (batch === undefined) continue;
      const upToDate =
        client.buffer === undefined &&
        client.since <= firstSeq &&
        (batch.firstId === undefined || client.lastId < batch.firstId);
      if (upToDate) {
        if (batch.lastId !== undefined) client.lastId = batch.lastId;
        this.#writeShared(client, batch.bytes);
        continue;
      }
      // Replaying, connected during the turn, or already past some of the ids: its own selection, as one write.
      let text = '';
      for (const { seq, event } of pending) {
        if (seq < client.since) continue;
        if (client.cluster !== undefined && event.cluster !== client.cluster) continue;
        if (client.buffer !== undefined) {
          this.#buffer(client, event);
          continue;
        }
        if (event.id !== undefined) {
          if (event.id <= client.lastId) continue;
          client.lastId = event.id;
        }
        text += formatEvent(event);
      }
      if (text !== '') this.#write(client, text);
    }
  }

  /** Keeps a live event for a replaying client; one that has more buffered than it may hold is cut off. */
  #buffer(client: Client, event: StreamEvent): void {
    if (client.buffer === undefined || client.res.destroyed) return;
    const text = formatEvent(event);
    client.buffer.push({ id: event.id, text });
    client.bufferedBytes += text.length;
    if (client.bufferedBytes > this.#options.maxBufferedBytes) this.#drop(client);
  }

  /** Heartbeats to `clients`, a slice per turn of the event loop: 10,000 writes at once would hold live events. */
  #sendHeartbeats(clients: readonly Client[]): void {
    for (const client of clients.slice(0, HEARTBEAT_SLICE))
      if (this.#clients.has(client)) this.#writeShared(client, HEARTBEAT);
    if (clients.length > HEARTBEAT_SLICE)
      setImmediate(() => {
        this.#sendHeartbeats(clients.slice(HEARTBEAT_SLICE));
      });
  }

  /** Bytes many clients get: straight to the socket, framed as a chunk when the response is chunked. */
  #writeShared(client: Client, bytes: SharedBytes): void {
    const { res, socket } = client;
    if (res.destroyed || res.writableEnded) return;
    client.silentTicks = 0;
    if (socket === undefined || res.socket !== socket) {
      this.#write(client, bytes.plain);
      return;
    }
    socket.write(res.chunkedEncoding ? bytes.chunk : bytes.plain);
    this.#dropIfBehind(client);
  }

  /** false: the socket's buffer is full, wait for 'drain' before writing more. */
  #deliver(client: Client, event: StreamEvent, options: { paced?: boolean } = {}): boolean {
    if (event.id !== undefined) {
      if (event.id <= client.lastId) return true;
      client.lastId = event.id;
    }
    return this.#write(client, formatEvent(event), options);
  }

  /** `paced`: the caller waits for the socket to drain, so a full buffer is not a slow client. */
  #write(client: Client, text: string | Buffer, options: { paced?: boolean } = {}): boolean {
    if (client.res.destroyed || client.res.writableEnded) return true;
    client.silentTicks = 0;
    const room = client.res.write(text);
    if (!options.paced) this.#dropIfBehind(client);
    return room;
  }

  /** A client whose socket buffer holds more than maxBufferedBytes is cut off: it resumes with Last-Event-ID. */
  #dropIfBehind(client: Client): void {
    if (client.res.writableLength > this.#options.maxBufferedBytes) this.#drop(client);
  }

  #drop(client: Client): void {
    this.#clients.delete(client);
    client.buffer = undefined;
    client.bufferedBytes = 0;
    client.res.destroy();
  }
}

/** Resolves true when the socket has room again or is gone, false when it has not drained within `timeoutMs`. */
function drained(res: ServerResponse, timeoutMs: number): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (room: boolean) => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onDrain);
      resolve(room);
    };
    const onDrain = () => {
      done(true);
    };
    const timer = setTimeout(() => {
      done(false);
    }, timeoutMs);
    res.once('drain', onDrain);
    res.once('close', onDrain);
  });
}
