// What the hub reads from one API server at most. Every registered cluster's list+watch runs in the hub's own
// process, so a hostile or broken API server must cost a bounded amount of memory and CPU (review 16).

const MiB = 1024 * 1024;

/**
 * One answer that is not a watch (a get, an apply, a list page, a discovery document). etcd stores an object
 * of at most ~1.5 MiB; a list page of 500 real Pods is a few MiB, and a page of big objects that passes this is
 * asked for again in smaller pages (client.ts, LIST_PAGE_SIZES), down to one object. The bound is on what
 * parsing costs: JSON made of small objects parses into ~20 times its size (review 18, item 1: a 64 MiB page of
 * `{},{}` took +1.43 GiB of heap and a 13 s parse; 1 GiB unbounded before that).
 */
export const MAX_RESPONSE_BYTES = 16 * MiB;

/**
 * One watch event (one line of the stream). An event carries one object in JSON, and no real object is larger
 * than etcd stores (~1.5 MiB, its default --max-request-bytes) nor than the API server accepts in one request
 * (3 MiB). 4 MiB leaves room for the envelope and for JSON being longer than etcd's protobuf: a Secret's 1.5 MiB
 * of bytes is 2 MiB of base64; only an object whose text is mostly `<`, `>`, `&` or control characters (6 bytes
 * each once escaped) could pass it. Past it the line is not an event: a server floods the hub (review 17: each
 * event up to 16 MiB let a cache grow by 16 MiB per object).
 */
export const MAX_WATCH_LINE_BYTES = 4 * MiB;

/**
 * Objects in one list, and in one ListWatch's cache (one watched kind on one cluster). Kubernetes supports
 * clusters of up to 150,000 Pods (https://kubernetes.io/docs/setup/best-practices/cluster-large/), so a real
 * cluster at that size still fits; past it a server is flooding the hub.
 */
export const MAX_OBJECTS_PER_KIND = 150_000;

/**
 * Bytes of one list (the sum of its pages' JSON), and of one ListWatch's cache (each kept object counted at the
 * size the API server sent it in: its watch event's line, or its share of its list page). The object cap alone
 * let a server send 150,000 objects of any size (review 17: 24 pods of 16 MiB took the hub from 248 MiB to
 * 1,088 MiB). A Pod captured from a real control plane is 1.9-2.7 KB of JSON without managedFields (fixtures in
 * status/fixtures/captured/pod), and a list sends them with managedFields, 1-2 KiB more: 150,000 Pods at
 * ~3.5 KiB are ~512 MiB, so a cluster at Kubernetes' supported maximum with lean Pods fits, and one with heavy
 * Pods is refused somewhat below it (at ~5 KiB a Pod, near 100,000). Kept objects cost about this much heap
 * again (20,000 captured Pods after slimRelated: 1.5 bytes of heap per byte of JSON), so a hostile server gets
 * roughly 0.5-1 GiB of the hub per watched kind, not unbounded; all kinds of all clusters together are bounded
 * by the hub's watch budget (watch-budget.ts, `--watch-cache-mib`), each cluster with its share.
 */
export const MAX_BYTES_PER_KIND = 512 * MiB;

/**
 * Pages of one list. 150,000 objects in pages of 500 are 300 pages; the rest is room for the short pages an API
 * server returns when a selector filters most of a page out. A server that never stops sending `continue`
 * ends here.
 */
export const MAX_LIST_PAGES = 1_000;

/**
 * A `continue` token. The API server's are base64 of a small JSON (the resourceVersion and the etcd key to
 * start at, well under 2 KiB); the hub sends it back in the URL.
 */
export const MAX_CONTINUE_TOKEN_CHARS = 16 * 1024;

/** `64 MiB`, or bytes when the limit is not a whole number of MiB (tests set small ones). */
export function describeBytes(n: number): string {
  return n % MiB === 0 ? `${String(n / MiB)} MiB` : `${String(n)} bytes`;
}
