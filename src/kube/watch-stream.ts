import type { KubernetesObject } from '@kubernetes/client-node';
import type { StatusLike } from './errors.js';

/** One line of a watch stream, as the API server sends it. */
export type RawWatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  | { type: 'BOOKMARK'; object: KubernetesObject }
  | { type: 'ERROR'; object: StatusLike };

const knownTypes = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** Splits a byte stream into newline-delimited JSON watch events; unparseable lines are skipped. */
export async function* watchEvents<T>(stream: ReadableStream<Uint8Array>): AsyncGenerator<RawWatchEvent<T>> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const event = parse<T>(line);
      if (event) yield event;
      newline = buffered.indexOf('\n');
    }
  }
  buffered += decoder.decode();
  const last = parse<T>(buffered);
  if (last) yield last;
}

function parse<T>(line: string): RawWatchEvent<T> | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value = JSON.parse(line) as { type?: unknown; object?: unknown };
    if (typeof value.type !== 'string' || !knownTypes.has(value.type)) return undefined;
    if (typeof value.object !== 'object' || value.object === null) return undefined;
    return value as RawWatchEvent<T>;
  } catch {
    return undefined;
  }
}
