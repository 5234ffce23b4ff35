// A costly answer whose client stops reading is cut after the write-stall wait, so its slot is given back
// (review 11, item 1); a client reading slowly but steadily gets the whole answer if it takes it by the answer's
// overall deadline (2 minutes plus its size at 16 KiB/s), past which it is cut too, however it reads. Progress is seen through
// Node's public stream API only (`writableLength`, 'drain'): those move when a write the socket was handed is
// taken whole by the kernel, not while the kernel takes part of it, so a large piece of an answer is handed
// over in slices of WRITE_SLICE_BYTES, each after the previous one was taken. (Session 9 read the socket
// handle's internal `writeQueueSize` instead, which is not in Node's types and may change without notice.)
import type { ServerResponse } from 'node:http';

/**
 * How long a costly request's answer may wait for its client to take any byte of it (review 11, item 1): a slot
 * is given back only when the connection closes, so a client that stops reading would hold it for ever. A
 * client reading slowly but steadily is not cut: any slice it takes starts the wait again.
 *
 * The hub sees a slice taken only when the kernel takes it into the socket's send buffer, and Linux wakes a
 * writer only once about half of a full send buffer is free again. That buffer grows up to `net.ipv4.tcp_wmem`'s
 * maximum (4 MiB by default), so a reader must take ~2 MiB within the wait to be seen moving. At 30 s (session
 * 9) an agent or a CLI reading 256 KiB every 10 s was cut mid-chart (review 12, item 1); at 2 minutes any reader
 * above ~17 KiB/s gets its answer. A client that stops reading still gives the slot back, 2 minutes later; one
 * that trickles on purpose gives it back at the answer's deadline (DEADLINE_BASE_MS).
 */
export const WRITE_STALL_MS = 120_000;

/**
 * The overall deadline of a costly answer, from its first byte handed over: DEADLINE_BASE_MS, plus its size at
 * DEADLINE_BYTES_PER_SECOND. The stall wait alone does not bound how long a slot is held: a client taking a
 * little every so often (enough for the kernel to report progress within each wait) held its costly slots for
 * as long as it kept reading, one token its 4 for ever. Past the deadline the connection is destroyed and its
 * close gives the slots back. 16 KiB/s (128 kbit/s) is the slowest reader the stall wait lets through
 * (~17 KiB/s, above): one that gets its answer without the deadline gets it with it too (review 17, item 4: at 64
 * KiB/s, an agent on a 256 kbit/s link could never fetch a 20 MiB chart, and its every retry failed the same way).
 * A 20 MiB chart gets 2 + 21⅓ minutes; a trickling token holds its 4 slots that long at most, not for ever.
 */
export const DEADLINE_BASE_MS = 120_000;
export const DEADLINE_BYTES_PER_SECOND = 16 * 1024;

/** How long a costly answer may wait for its client (tests make them short). */
export interface AnswerLimits {
  /** How long bytes of it may wait with none taken (WRITE_STALL_MS). */
  readonly stallMs: number;
  /** Its overall deadline: `baseMs` plus its size at `bytesPerSecond`, from its first byte handed over. */
  readonly deadline: { readonly baseMs: number; readonly bytesPerSecond: number };
}

export const ANSWER_LIMITS: AnswerLimits = {
  stallMs: WRITE_STALL_MS,
  deadline: { baseMs: DEADLINE_BASE_MS, bytesPerSecond: DEADLINE_BYTES_PER_SECOND },
};

/** The most bytes of an answer handed to the socket at once (the default high-water mark of a socket). */
export const WRITE_SLICE_BYTES = 64 * 1024;

/**
 * Destroys `res`'s connection when bytes of its answer wait and the client takes none of them for
 * `limits.stallMs`, or when the answer is not all taken by its deadline (`limits.deadline`; its size is its
 * Content-Length, or the bytes handed over so far when that is more or there is none): its 'close' then gives
 * the costly-request slots back. Progress is a slice leaving the socket's buffer (or a 'drain'); an answer
 * still being computed (nothing unsent, nothing handed over yet) is neither a stall nor late. Stops by itself
 * when the response closes; returns what stops it sooner.
 */
export function cutSlowAnswer(res: ServerResponse, limits: AnswerLimits = ANSWER_LIMITS): () => void {
  const { stallMs, deadline } = limits;
  let startedAt: number | undefined;
  let handed = 0;
  writeInSlices(res, (bytes) => {
    startedAt ??= Date.now();
    handed += bytes;
  });
  let last = unsent(res);
  let drained = false;
  let stalledSince: number | undefined;
  const onDrain = () => {
    drained = true;
  };
  const late = (at: number) => {
    if (startedAt === undefined) return false;
    const size = Math.max(handed, Number(res.getHeader('content-length') ?? 0) || 0);
    return at - startedAt >= deadline.baseMs + (size / deadline.bytesPerSecond) * 1000;
  };
  const check = () => {
    const at = Date.now();
    if (late(at)) {
      stop();
      res.destroy();
      return;
    }
    const now = unsent(res);
    const progressed = drained || now < last;
    drained = false;
    last = now;
    if (progressed || now === 0) {
      stalledSince = undefined;
      return;
    }
    stalledSince ??= at;
    if (at - stalledSince >= stallMs) {
      stop();
      res.destroy();
    }
  };
  const timer = setInterval(check, Math.max(10, Math.floor(Math.min(stallMs, deadline.baseMs) / 4)));
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    res.off('drain', onDrain);
    res.off('close', stop);
  };
  res.on('drain', onDrain);
  res.once('close', stop);
  return stop;
}

/** Bytes of the answer the kernel has not taken yet, as the socket's public API counts them. */
function unsent(res: ServerResponse): number {
  return res.socket?.writableLength ?? 0;
}

type Callback = (error?: Error | null) => void;
type Chunk = string | Uint8Array;

/**
 * From now on, a piece of `res`'s answer larger than WRITE_SLICE_BYTES (Fastify ends an answer with its whole
 * body in one `end`) goes to the socket a slice at a time, each once the socket drained; anything written
 * meanwhile waits behind it, in order. Other writes, while nothing waits, go through as they are. `onHanded`
 * is told the bytes of every piece written.
 */
function writeInSlices(res: ServerResponse, onHanded: (bytes: number) => void): void {
  const originalWrite = res.write.bind(res) as (...args: unknown[]) => boolean;
  const originalEnd = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const waiting: { slice: Uint8Array; callback: Callback | undefined }[] = [];
  let ending: { callback: (() => void) | undefined } | undefined;
  let awaitingDrain = false;
  /** A write was answered `false`: its writer waits for a 'drain', which the socket may never send for it. */
  let owedDrain = false;
  const pump = (): void => {
    awaitingDrain = false;
    while (waiting.length > 0) {
      if (res.destroyed) {
        waiting.length = 0;
        ending = undefined;
        return;
      }
      if (res.writableNeedDrain) {
        awaitingDrain = true;
        res.once('drain', pump);
        return;
      }
      const next = waiting.shift();
      if (next) originalWrite(next.slice, next.callback);
    }
    if (ending) {
      const { callback } = ending;
      ending = undefined;
      originalEnd(callback);
    } else if (owedDrain && !res.writableNeedDrain) {
      owedDrain = false;
      res.emit('drain');
    }
  };
  const enqueue = (chunk: Chunk, encoding: BufferEncoding | undefined, callback: Callback | undefined) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    for (let at = 0; at < bytes.length; at += WRITE_SLICE_BYTES) {
      const last = at + WRITE_SLICE_BYTES >= bytes.length;
      waiting.push({
        slice: bytes.subarray(at, at + WRITE_SLICE_BYTES),
        callback: last ? callback : undefined,
      });
    }
    if (!awaitingDrain) pump();
  };
  // A string's bytes are counted only when it may be large (a UTF-16 unit is 1 to 3 bytes of UTF-8).
  const large = (chunk: unknown): chunk is Chunk =>
    (typeof chunk === 'string' && chunk.length > WRITE_SLICE_BYTES / 3) ||
    (chunk instanceof Uint8Array && chunk.length > WRITE_SLICE_BYTES);
  const busy = () => waiting.length > 0 || ending !== undefined;

  const count = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === 'string')
      onHanded(
        Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'),
      );
    else if (chunk instanceof Uint8Array) onHanded(chunk.length);
  };

  res.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    count(chunk, rest[0]);
    if (!busy() && !large(chunk)) return originalWrite(chunk, ...rest);
    const [encoding, callback] = typeof rest[0] === 'function' ? [undefined, rest[0]] : rest;
    // Like a socket past its high-water mark: the writer waits for 'drain' (sent once the slices are taken).
    owedDrain = true;
    enqueue(chunk as Chunk, (encoding ?? undefined) as BufferEncoding | undefined, callback as Callback);
    return false;
  }) as ServerResponse['write'];

  res.end = ((...args: unknown[]): ServerResponse => {
    const [chunk, encoding, callback] =
      typeof args[0] === 'function'
        ? [undefined, undefined, args[0]]
        : typeof args[1] === 'function'
          ? [args[0], undefined, args[1]]
          : args;
    count(chunk, encoding);
    if (!busy() && !large(chunk)) return originalEnd(...args);
    ending = { callback: callback as (() => void) | undefined };
    if (chunk === undefined || chunk === null) pump();
    else enqueue(chunk as Chunk, (encoding ?? undefined) as BufferEncoding | undefined, undefined);
    return res;
  }) as ServerResponse['end'];
}
