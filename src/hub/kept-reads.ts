// Reads kept between changes (issue 15, "Fast reads"): the Cluster Profile page and the cluster list are built
// once per change, not once per read, so twenty readers polling a 200-pack page cost a lookup each. A kept
// answer carries the version it was built at: what it was built from, compared by identity. A read whose
// version differs builds the answer again, so a changed page is never served stale:
// - the cluster's runtime and runner (a restarted runner is another object) and the runner's change count,
//   which grows on every status, removal, drift, connection change, new desired packs and watch event (recent
//   Warning events are read live from its watch cache);
// - the hub's events for the cluster (attachments, the cluster record, stored statuses, connection, summary),
//   and those about no cluster (a profile published: "update available" on the attachments).
// The built answer is the same object until the next change, so the server serializes and tags it once
// (src/server/etag.ts): a read is a lookup and a write of bytes.
import type { HubEvent } from './feed.js';
import type { ClusterRuntime } from './fleet.js';

/** What an answer was built from; equal element by element (===) means the answer still holds. */
export type Version = readonly unknown[];

export function sameVersion(a: Version, b: Version): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The hub's event counts that a kept read depends on, fed by the hub's own stream. */
export class ReadVersions {
  private readonly byCluster = new Map<string, number>();
  /** Events about no cluster in particular (profile.published). */
  private unscoped = 0;
  /** Every event. */
  private all = 0;

  constructor(subscribe: (listener: (event: HubEvent) => void) => () => void) {
    subscribe((event) => {
      this.all++;
      if (event.cluster === undefined) this.unscoped++;
      else this.byCluster.set(event.cluster, (this.byCluster.get(event.cluster) ?? 0) + 1);
    });
  }

  /** The version of a cluster's page: its runtime, its runner's changes, the events about it. */
  page(cluster: string, runtime: ClusterRuntime): Version {
    return [
      runtime,
      runtime.runner,
      runtime.runner.changes,
      runtime.reachable,
      runtime.error,
      this.byCluster.get(cluster) ?? 0,
      this.unscoped,
    ];
  }

  /** The version of the cluster list: every event, and every running cluster's runner and its changes. */
  list(runtimes: Iterable<ClusterRuntime>): Version {
    const out: unknown[] = [this.all];
    for (const runtime of runtimes)
      out.push(runtime, runtime.runner.changes, runtime.reachable, runtime.error);
    return out;
  }
}

/** Answers kept per key (a cluster name) with the version each was built at. */
export class Kept<T> {
  private readonly kept = new Map<
    string,
    { readonly version: Version; readonly value: Promise<T>; built?: { readonly value: T } }
  >();

  /**
   * The kept answer while `version` is the one it was built at, else `build()` kept in its place. Readers that
   * arrive while it builds share the build; a failed build is not kept.
   */
  get(key: string, version: Version, build: () => Promise<T>): Promise<T> {
    const kept = this.kept.get(key);
    if (kept && sameVersion(kept.version, version)) return kept.value;
    const value = build();
    const entry: { version: Version; value: Promise<T>; built?: { readonly value: T } } = { version, value };
    this.kept.set(key, entry);
    value.then(
      (built) => {
        entry.built = { value: built };
      },
      () => {
        if (this.kept.get(key)?.value === value) this.kept.delete(key);
      },
    );
    return value;
  }

  /**
   * The kept answer, without a promise, when it is built and `version` is still the one it was built at;
   * undefined when it would have to be built (or is being built): then get() decides.
   */
  built(key: string, version: Version): { readonly value: T } | undefined {
    const kept = this.kept.get(key);
    return kept && sameVersion(kept.version, version) ? kept.built : undefined;
  }

  forget(key: string): void {
    this.kept.delete(key);
  }
}
