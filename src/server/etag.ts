// Conditional GETs for the pages clients poll and reload (issue 15, "Fast reads"): the body is serialized once,
// its hash is the entity tag, and a client that sends the tag it holds (If-None-Match) gets 304 with no body
// while nothing changed: no 150 KiB page to send and parse again. RFC 9110 §8.8.3 and §13.1.2.
// A client that accepts gzip (browsers do) gets the body compressed, also once per version: the 200-pack page
// is ~12 KiB instead of ~150, so 20 readers' answers fit their sockets' buffers at once and the hub copies a
// twelfth of the bytes.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

const gzip = promisify(gzipCallback);

/**
 * The serialized body, already UTF-8 encoded, and its strong entity tag (`"<sha1, base64url>"`). Bytes, not a
 * string: a string is encoded again on every write (2 ms of hub CPU per read of a 154 KiB page, profiled), bytes
 * go to the socket as they are.
 */
export interface TaggedBody {
  readonly body: Buffer;
  readonly etag: string;
  /** The body gzipped, made on the first read that accepts gzip and kept with the body. */
  gzipped?: Promise<Buffer>;
  /** The same gzipped bytes once made, for a read answered without a promise (kept-page-answer.ts). */
  gzippedBytes?: Buffer;
}

/** Bodies under this many bytes go uncompressed: gzip's header and a round on the thread pool gain nothing. */
export const MIN_GZIP_BYTES = 1024;
/**
 * Nor over this many: the largest answers are chart archives for agents (base64 of a .tgz, which deflate shrinks
 * by a quarter at most), made afresh per fetch, and a 20 MiB one would hold a thread-pool thread for ~0.5 s. A
 * 1,000-pack page is well under it.
 */
export const MAX_GZIP_BYTES = 4 * 1024 * 1024;

/** What a request gets: the tag and Content-Encoding of its representation, and its bytes when they are sent. */
export interface Representation {
  readonly etag: string;
  readonly encoding: 'gzip' | undefined;
  /** The bytes on the wire; not asked for a 304, so a conditional read compresses nothing. */
  body(): Promise<Buffer>;
  /** The same bytes when they are made already (the gzip of a body read before), else undefined. */
  made(): Buffer | undefined;
}

/**
 * The representation of `tagged` for a request's Accept-Encoding: gzip when the client takes it and the body is
 * worth compressing (MIN_GZIP_BYTES to MAX_GZIP_BYTES), else the body as it is. The gzip is made off the event loop (zlib's thread pool), once per
 * body: readers that arrive while it is made share it. Its tag is the body's, weak (`W/"…"`): the same content
 * in another coding is not byte-identical (RFC 9110 §8.8.3.3), and If-None-Match compares weakly, so a client
 * holding either tag gets its 304 while the content is unchanged.
 */
export function representation(tagged: TaggedBody, acceptEncoding: string | undefined): Representation {
  const size = tagged.body.length;
  const kept = representations.get(tagged) ?? keepRepresentations(tagged);
  if (size < MIN_GZIP_BYTES || size > MAX_GZIP_BYTES || !acceptsGzip(acceptEncoding)) return kept.identity;
  return kept.gzip;
}

/** A body's two representations, made once per body: a read allocates none (issue 15, fast reads). */
interface Representations {
  readonly identity: Representation;
  readonly gzip: Representation;
}
const representations = new WeakMap<TaggedBody, Representations>();

function keepRepresentations(tagged: TaggedBody): Representations {
  const body = Promise.resolve(tagged.body);
  const made: Representations = {
    identity: { etag: tagged.etag, encoding: undefined, body: () => body, made: () => tagged.body },
    gzip: {
      etag: `W/${tagged.etag}`,
      encoding: 'gzip',
      body: () => (tagged.gzipped ??= gzipKept(tagged)),
      made: () => tagged.gzippedBytes,
    },
  };
  representations.set(tagged, made);
  return made;
}

/** The body gzipped; a failure is not kept, so the next read tries again. */
function gzipKept(tagged: TaggedBody): Promise<Buffer> {
  const made = gzip(tagged.body);
  made.then(
    (bytes) => {
      if (tagged.gzipped === made) tagged.gzippedBytes = bytes;
    },
    () => {
      if (tagged.gzipped === made) delete tagged.gzipped;
    },
  );
  return made;
}

/**
 * Whether an Accept-Encoding header takes gzip (RFC 9110 §12.5.3): `gzip` or `x-gzip` with a q-value above 0, or
 * `*` above 0 when gzip is not named. No header: identity only (a client that sends none, such as a script, gets
 * bytes it can read without decoding).
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  // Clients send the same header on every request: the last few answers are kept (bounded: a header is any text).
  const known = acceptsGzipOf.get(header);
  if (known !== undefined) return known;
  const accepts = parseAcceptsGzip(header);
  if (acceptsGzipOf.size >= MAX_KEPT_HEADERS) acceptsGzipOf.clear();
  if (header.length <= MAX_KEPT_HEADER_LENGTH) acceptsGzipOf.set(header, accepts);
  return accepts;
}

const MAX_KEPT_HEADERS = 64;
const MAX_KEPT_HEADER_LENGTH = 256;
const acceptsGzipOf = new Map<string, boolean>();

function parseAcceptsGzip(header: string): boolean {
  let named: boolean | undefined;
  let any = false;
  for (const element of header.split(',')) {
    const [coding = '', ...params] = element.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    const accepted = Number.isFinite(weight) && weight > 0;
    if (coding === 'gzip' || coding === 'x-gzip') named = (named ?? false) || accepted;
    else if (coding === '*') any = accepted;
  }
  return named ?? any;
}

/**
 * The same result object serializes to the same body: a view kept in memory between changes (the page's pack
 * views) is hashed once per change, not once per read.
 */
const tagged = new WeakMap<object, TaggedBody>();

export function tagBody(result: unknown): TaggedBody {
  const cached = typeof result === 'object' && result !== null ? tagged.get(result) : undefined;
  if (cached) return cached;
  const body = Buffer.from(JSON.stringify(result));
  const out = { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
  if (typeof result === 'object' && result !== null) tagged.set(result, out);
  return out;
}

/**
 * Whether If-None-Match names this tag: `*`, or a comma-separated list in which it appears. The comparison is
 * weak (RFC 9110 §13.1.2: a `W/` prefix is ignored), as it must be for If-None-Match.
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  // What a client sends back is the tag it was given: no list to split.
  if (header === etag) return true;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}
