import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeError, KubeErrorCode, type StatusLike } from './errors.js';
import { jsonCost } from './json-cost.js';
import { describeBytes, MAX_WATCH_LINE_BYTES, MAX_WATCH_LINE_COST } from './limits.js';

/**
 * One line of a watch stream, as the API server sends it. `size`: the heap the line parses into, as json-cost.ts
 * estimates it from the line, what a ListWatch counts the object at in its cache (watchEvents sets it; a source
 * that leaves it out is bounded by object count only).
 */
export type RawWatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T; size?: number }
  | { type: 'BOOKMARK'; object: KubernetesObject }
  | { type: 'ERROR'; object: StatusLike };

const knownTypes = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);
const NEWLINE = 0x0a;

export interface WatchStreamOptions {
  /** Names the watch in the error past the line limit, e.g. `watch /api/v1/pods on https://…`. */
  what?: string;
  /** Default MAX_WATCH_LINE_BYTES; tests set a small one. */
  maxLineBytes?: number;
  /** Default MAX_WATCH_LINE_COST: the most heap one line may parse into (json-cost.ts). */
  maxLineCost?: number;
}

/**
 * Splits a byte stream into newline-delimited JSON watch events; unparseable lines are skipped.
 *
 * Each chunk is scanned once, and the pieces of an unfinished line are kept as they came and joined once when
 * its newline arrives: appending to one string and searching it from the start again made a long line cost the
 * square of its length (48 MiB took 27 s of the hub's CPU). A line past `maxLineBytes` ends the stream with a
 * retryable KubeError TooLarge, so the ListWatch reports it as the cluster's connection error and backs off; so
 * does a line whose estimated heap once parsed passes `maxLineCost` (checked before it is parsed).
 * Splitting bytes rather than text is exact: in UTF-8 the byte 0x0A is only ever a newline.
 */
export async function* watchEvents<T>(
  stream: AsyncIterable<Uint8Array>,
  options: WatchStreamOptions = {},
): AsyncGenerator<RawWatchEvent<T>> {
  const maxLineBytes = options.maxLineBytes ?? MAX_WATCH_LINE_BYTES;
  const tooLong = () =>
    new KubeError(
      KubeErrorCode.TooLarge,
      `${options.what ?? 'watch'}: the API server sent a watch event longer than ${describeBytes(maxLineBytes)} (the hub's limit); the watch is ended and started again after a backoff`,
    );
  const maxLineCost = options.maxLineCost ?? MAX_WATCH_LINE_COST;
  // Before JSON.parse, from the line: 4 MiB of `[{},…]` is ~90 MiB of heap (review 19, item 2).
  const parse = (line: Uint8Array) => {
    const size = jsonCost(line);
    if (size > maxLineCost) {
      throw new KubeError(
        KubeErrorCode.TooLarge,
        `${options.what ?? 'watch'}: the API server sent a watch event that would take more than ${describeBytes(maxLineCost)} of memory once parsed (the hub's limit); the watch is ended and started again after a backoff`,
      );
    }
    return parseLine<T>(decoder.decode(line), size);
  };
  const decoder = new TextDecoder();
  let parts: Uint8Array[] = [];
  let pending = 0;
  for await (const chunk of stream) {
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
      if (pending + newline - start > maxLineBytes) throw tooLong();
      const tail = chunk.subarray(start, newline);
      const line = parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
      parts = [];
      pending = 0;
      start = newline + 1;
      const event = parse(line);
      if (event) yield event;
    }
    if (start < chunk.length) {
      pending += chunk.length - start;
      if (pending > maxLineBytes) throw tooLong();
      parts.push(chunk.subarray(start));
    }
  }
  const rest = Buffer.concat(parts);
  const last = parse(rest);
  if (last) yield last;
}

function parseLine<T>(line: string, size: number): RawWatchEvent<T> | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value = JSON.parse(line) as { type?: unknown; object?: unknown };
    if (typeof value.type !== 'string' || !knownTypes.has(value.type)) return undefined;
    if (typeof value.object !== 'object' || value.object === null) return undefined;
    return { type: value.type, object: value.object, size } as RawWatchEvent<T>;
  } catch {
    return undefined;
  }
}
