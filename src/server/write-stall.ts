// A costly answer whose client stops reading is cut after the write-stall wait, so its slot is given back
// (review 11, item 1); a client reading slowly but steadily gets the whole answer if it takes it by the answer's
// overall deadline (2 minutes plus its size at 16 KiB/s), past which it is cut too, however it reads. Progress is seen through
// Node's public stream API only (`writableLength`, 'drain'): those move when a write the socket was handed is
// taken whole by the kernel, not while the kernel takes part of it, so a large piece of an answer is handed
// over in slices of WRITE_SLICE_BYTES, each after the previous one was taken. (Session 9 read the socket
// handle's internal `writeQueueSize` instead, which is not in Node's types and may change without notice.)
// Session 13 (issue 15, fast reads): an answer that fits in one write is handed whole and watched only if the
// socket did not take it at once (watchUntaken), and one timer checks all the answers watched with the same
// limits, not one timer and three closures per answer.
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
 * The most bytes of an answer (as onSend sees it: its whole body) handed to the socket in one write, not in
 * slices (watchUntaken). Session 12 sliced every answer over WRITE_SLICE_BYTES and watched each with a timer of
 * its own: the 154 KiB page of a 200-pack cluster cost three writes, three 'drain's and a timer per read (hub CPU
 * per read 0.42 ms instead of 0.35; issue 15, fast reads), though the kernel takes up to ~2 MiB at once, even
 * from a client that reads nothing. A piece handed in one write is seen taken only once taken whole: a reader
 * must let the kernel take up to this much more within the stall wait than with slices, far less than the ~2 MiB
 * the kernel's send buffer already asks of it (WRITE_STALL_MS).
 */
export const WHOLE_WRITE_BYTES = 256 * 1024;

/**
 * Destroys `res`'s connection when bytes of its answer wait and the client takes none of them for
 * `limits.stallMs`, or when the answer is not all taken by its deadline (`limits.deadline`; its size is its
 * Content-Length, or the bytes handed over so far when that is more or there is none): its 'close' then gives
 * the costly-request slots back. Progress is a slice leaving the socket's buffer (or a 'drain'); an answer
 * still being computed (nothing unsent, nothing handed over yet) is neither a stall nor late. Stops by itself
 * when the response closes; returns what stops it sooner.
 */
export function cutSlowAnswer(res: ServerResponse, limits: AnswerLimits = ANSWER_LIMITS): () => void {
  const answer = watch(res, limits, undefined, 0);
  writeInSlices(res, (bytes) => {
    answer.startedAt ??= Date.now();
    answer.handed += bytes;
  });
  return () => {
    unwatch(res);
  };
}

/**
 * cutSlowAnswer for an answer just ended with its whole body (`bytes` of it, at most WHOLE_WRITE_BYTES) in one
 * write: when the socket took it all at once, nothing waits and nothing is watched (no timer, no listener: the
 * path of nearly every page read); otherwise it is watched from now on, as cutSlowAnswer watches one.
 */
export function watchUntaken(res: ServerResponse, bytes: number, limits: AnswerLimits = ANSWER_LIMITS): void {
  // writableLength counts what the response holds and what its socket holds: a pipelined answer waiting for its
  // socket is not taken either.
  if (res.writableEnded && res.writableLength === 0) return;
  watch(res, limits, Date.now(), bytes);
}

/** An answer being watched: what its checks (AnswerWatch.check) compare from one to the next. */
interface Watched {
  readonly res: ServerResponse;
  readonly watch: AnswerWatch;
  /** When its first byte was handed over; undefined while none was. */
  startedAt: number | undefined;
  /** Bytes of its body handed over so far. */
  handed: number;
  /** Its unsent bytes at the last check. */
  last: number;
  /** A 'drain' since the last check. */
  drained: boolean;
  stalledSince: number | undefined;
}

/** The answers being watched, by response: found by the listeners below, shared by all of them. */
const watchedAnswers = new WeakMap<ServerResponse, Watched>();

function markDrained(this: ServerResponse): void {
  const answer = watchedAnswers.get(this);
  if (answer) answer.drained = true;
}

function unwatchClosed(this: ServerResponse): void {
  unwatch(this);
}

function unwatch(res: ServerResponse): void {
  const answer = watchedAnswers.get(res);
  if (answer === undefined) return;
  watchedAnswers.delete(res);
  res.off('drain', markDrained);
  res.off('close', unwatchClosed);
  answer.watch.delete(answer);
}

/** One timer for all the answers watched with the same limits (not one per answer), running while any is. */
class AnswerWatch {
  private readonly answers = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;
  private readonly periodMs: number;

  constructor(private readonly limits: AnswerLimits) {
    this.periodMs = Math.max(10, Math.floor(Math.min(limits.stallMs, limits.deadline.baseMs) / 4));
  }

  add(answer: Watched): void {
    this.answers.add(answer);
    if (this.timer === undefined) {
      this.timer = setInterval(() => {
        this.checkAll();
      }, this.periodMs);
      this.timer.unref();
    }
  }

  delete(answer: Watched): void {
    this.answers.delete(answer);
    if (this.answers.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private checkAll(): void {
    const at = Date.now();
    for (const answer of this.answers) this.check(answer, at);
  }

  private check(answer: Watched, at: number): void {
    const { res } = answer;
    if (this.late(answer, at)) {
      unwatch(res);
      res.destroy();
      return;
    }
    const now = unsent(res);
    const progressed = answer.drained || now < answer.last;
    answer.drained = false;
    answer.last = now;
    if (progressed || now === 0) {
      answer.stalledSince = undefined;
      return;
    }
    answer.stalledSince ??= at;
    if (at - answer.stalledSince >= this.limits.stallMs) {
      unwatch(res);
      res.destroy();
    }
  }

  private late(answer: Watched, at: number): boolean {
    if (answer.startedAt === undefined) return false;
    const { deadline } = this.limits;
    const size = Math.max(answer.handed, Number(answer.res.getHeader('content-length') ?? 0) || 0);
    return at - answer.startedAt >= deadline.baseMs + (size / deadline.bytesPerSecond) * 1000;
  }
}

/** The watch of each set of limits (a hub has one; tests make their own). */
const watches = new WeakMap<AnswerLimits, AnswerWatch>();

function watch(
  res: ServerResponse,
  limits: AnswerLimits,
  startedAt: number | undefined,
  handed: number,
): Watched {
  unwatch(res);
  let answerWatch = watches.get(limits);
  if (answerWatch === undefined) {
    answerWatch = new AnswerWatch(limits);
    watches.set(limits, answerWatch);
  }
  const answer: Watched = {
    res,
    watch: answerWatch,
    startedAt,
    handed,
    last: unsent(res),
    drained: false,
    stalledSince: undefined,
  };
  watchedAnswers.set(res, answer);
  res.on('drain', markDrained);
  res.on('close', unwatchClosed);
  answerWatch.add(answer);
  return answer;
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
