// What the hub reads from one API server at most. Every registered cluster's list+watch runs in the hub's own
// process, so a hostile or broken API server must cost a bounded amount of memory and CPU (review 16).

const MiB = 1024 * 1024;

/**
 * One answer that is not a watch (a get, an apply, a list page, a discovery document). etcd stores an object
 * of at most ~1.5 MiB and a list page holds 500 of them; 64 MiB leaves a wide margin above real answers while a
 * hub with a few such reads in flight stays far from V8's heap limit (a 1 GiB answer took 1.3 GiB of RSS).
 */
export const MAX_RESPONSE_BYTES = 64 * MiB;

/**
 * One watch event (one line of the stream). An event carries one object (≤ ~1.5 MiB in etcd) in JSON; 16 MiB
 * is a wide margin, and past it the line is not an event but a server that never ends it.
 */
export const MAX_WATCH_LINE_BYTES = 16 * MiB;

/**
 * Objects in one list, and in one ListWatch's cache (one watched kind on one cluster). Kubernetes supports
 * clusters of up to 150,000 Pods (https://kubernetes.io/docs/setup/best-practices/cluster-large/), so a real
 * cluster at that size still fits; past it a server is flooding the hub.
 */
export const MAX_OBJECTS_PER_KIND = 150_000;

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
