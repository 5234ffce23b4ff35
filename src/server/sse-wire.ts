// What the live stream writes (sse.ts): one SSE message per event, and the bytes a fan-out shares between clients.

/** A hub event as the stream sees it: persisted ones have an id, ephemeral ones (connection state) do not. */
export interface StreamEvent {
  readonly id?: number;
  readonly kind: string;
  readonly cluster?: string;
  readonly pack?: string;
  readonly time: string;
  readonly data: unknown;
}

/** One SSE message. Persisted events carry `id:` so the browser's EventSource resumes by itself. */
export function formatEvent(event: StreamEvent): string {
  const id = event.id === undefined ? '' : `id: ${event.id}\n`;
  // JSON.stringify never emits a raw newline, so `data:` is always one line.
  return `${id}event: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Bytes written to many sockets: as they are, and as one chunk of a chunked HTTP/1.1 response. */
export interface SharedBytes {
  readonly plain: Buffer;
  readonly chunk: Buffer;
}

export function sharedBytes(text: string): SharedBytes {
  const plain = Buffer.from(text);
  // RFC 9112 §7.1: the size in hex, CRLF, the data, CRLF; what ServerResponse.write sends for each write.
  const chunk = Buffer.concat([Buffer.from(`${plain.length.toString(16)}\r\n`), plain, Buffer.from('\r\n')]);
  return { plain, chunk };
}

/** A published event waiting for the next fan-out, with its publish sequence number. */
export interface Pending {
  readonly seq: number;
  readonly event: StreamEvent;
}

/** The pending events as every client of one filter (a cluster, or all) that is up to date gets them. */
export interface Batch {
  readonly bytes: SharedBytes;
  /** The first persisted id in it: a client that has written it already gets its own selection. */
  readonly firstId: number | undefined;
  /** The highest persisted id in it: the client's lastId after it. */
  readonly lastId: number | undefined;
}

/**
 * The pending events a client of `cluster` (undefined: every cluster) gets when it is up to date, and their
 * bytes; undefined when none is for it. A persisted id not above the one before it is left out, as it is per
 * client (ids follow commit order, so this does not happen in practice).
 */
export function batchOf(pending: readonly Pending[], cluster: string | undefined): Batch | undefined {
  let text = '';
  let firstId: number | undefined;
  let lastId: number | undefined;
  for (const { event } of pending) {
    if (cluster !== undefined && event.cluster !== cluster) continue;
    if (event.id !== undefined) {
      if (lastId !== undefined && event.id <= lastId) continue;
      firstId ??= event.id;
      lastId = event.id;
    }
    text += formatEvent(event);
  }
  return text === '' ? undefined : { bytes: sharedBytes(text), firstId, lastId };
}
