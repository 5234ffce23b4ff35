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
 * The heap one answer that is not a watch may parse into, estimated from its text before it is parsed
 * (json-cost.ts: each byte, 56 per `{` or `[`, 8 per `,` or `:`), and counted as it arrives. The bytes alone do
 * not bound it (review 19, item 2): a page of one Pod whose status is 16 MiB of `[{},{},…]`, 16 KiB gzip'd on
 * the wire, kept +342 MiB after GC, and eight such pages froze the hub's event loop for 40.9 s at 4.3 GiB RSS.
 * That page is estimated at ~360 MiB and refused (then asked for in smaller pages, down to one object, as for
 * the bytes). A real page of 500 Pods from the testenv control plane (two containers, probes, env,
 * managedFields: 3.5 MiB) is estimated at 12.4 MiB and parses into 7.5 MiB; any real page under
 * MAX_RESPONSE_BYTES is under ~3.5 times its bytes (Pods 3.1-3.5, CRDs 1.6-1.8), so 64 MiB refuses no honest
 * answer the byte limit lets through. The most a hostile answer then makes JSON.parse build is ~64 MiB (up to
 * ~3.4x that for text made only of distinct keys, see json-cost.ts), in ~1 s of parsing rather than 6-40 s.
 */
export const MAX_RESPONSE_COST = 64 * MiB;

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
 * The heap one watch event may parse into, estimated from its line before it is parsed (json-cost.ts; see
 * MAX_RESPONSE_COST). The largest real objects are CRDs with big schemas: kube-prometheus' alertmanagerconfigs
 * CRD (698 KiB of JSON, the largest it ships) is estimated at 1.2 MiB; a 1.5 MiB Secret (2 MiB of base64) at
 * ~2 MiB. 16 MiB leaves those 8 times the room; 4 MiB of `[{},…]` would be ~90 MiB.
 */
export const MAX_WATCH_LINE_COST = 16 * MiB;

/**
 * Objects in one list, and in one ListWatch's cache (one watched kind on one cluster). Kubernetes supports
 * clusters of up to 150,000 Pods (https://kubernetes.io/docs/setup/best-practices/cluster-large/), so a real
 * cluster at that size still fits; past it a server is flooding the hub.
 */
export const MAX_OBJECTS_PER_KIND = 150_000;

/**
 * Heap of one list (the sum of its pages'), and of one ListWatch's cache (each kept object counted at its share
 * of what its watch event's line or its list page parses into), as json-cost.ts estimates it from the text the
 * API server sent. The object cap alone let a server send 150,000 objects of any size (review 17: 24 pods of
 * 16 MiB took the hub from 248 MiB to 1,088 MiB), and counting bytes let it send objects that cost 21 bytes of
 * heap per byte (review 19, item 2: `[{},…]` in a Pod's status, which slimRelated keeps; the 512 MiB of bytes
 * allowed ~11 GiB of heap). Counted as estimated heap, what a hostile server can make the hub keep per watched
 * kind is about this budget (`[{},…]` keeps 0.96 of its estimate), at most ~3.4 times it for text made only of
 * distinct keys or short distinct strings.
 *
 * The estimate is of the object as sent, before slimRelated/slimOwned drop managedFields, so real objects count
 * for more than they keep. Pods of the testenv control plane, as a list sends them: one container, 3.9 KB of
 * JSON, counted at 12 KB, keeps 3.8 KB after slimRelated; two containers with probes and env, 7.4 KB, counted at
 * 26 KB, keeps 5.8 KB. So one kind's cache holds ~20,000-45,000 real Pods, not the 150,000 Kubernetes supports
 * (https://kubernetes.io/docs/setup/best-practices/cluster-large/); those would keep ~0.55-0.85 GiB of heap.
 * All kinds of all clusters together are bounded by the hub's watch budget (watch-budget.ts,
 * `--watch-cache-mib`), each cluster with its share, counted in the same estimate.
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
