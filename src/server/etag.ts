// Conditional GETs for the pages clients poll and reload (issue 15, "Fast reads"): the body is serialized once,
// its hash is the entity tag, and a client that sends the tag it holds (If-None-Match) gets 304 with no body
// while nothing changed: no 119 KiB page to send and parse again. RFC 9110 §8.8.3 and §13.1.2.
import { createHash } from 'node:crypto';

/**
 * The serialized body, already UTF-8 encoded, and its strong entity tag (`"<sha1, base64url>"`). Bytes, not a
 * string: a string is encoded again on every write (2 ms of hub CPU per read of a 154 KiB page, profiled), bytes
 * go to the socket as they are.
 */
export interface TaggedBody {
  readonly body: Buffer;
  readonly etag: string;
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
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}
