import { type KubeConfig, type KubernetesObject, Watch } from '@kubernetes/client-node';

/**
 * A collection the store watches cluster-wide, e.g. `{ name: 'pods', path: '/api/v1/pods' }`. `T` names the
 * type of its objects (the cache holds raw JSON as the API server sent it).
 */
export interface Collection<T extends KubernetesObject = KubernetesObject> {
  readonly name: string;
  readonly path: string;
  /** Never set: carries `T`. */
  readonly objectType?: T;
}

export function collection<T extends KubernetesObject>(name: string, path: string): Collection<T> {
  return { name, path };
}

interface Waiter {
  check(): void;
  fail(error: Error): void;
}

const MAX_RESTARTS = 5;

/**
 * A watch cache over a few collections, like an informer: every event updates the cache and re-checks what
 * the capture waits for. Waiting over the cache, rather than one object's watch, lets a scenario wait for a
 * state of several objects at once (a Deployment, its ReplicaSets and their Pods) and take them as one
 * snapshot, all as the watches last reported them.
 */
export class Store {
  private readonly objects = new Map<string, Map<string, KubernetesObject>>();
  private readonly waiters = new Set<Waiter>();
  private readonly aborts = new Map<string, AbortController>();
  private stopped = false;

  constructor(private readonly kc: KubeConfig) {}

  /** Starts watching a collection; resolves once the watch is established (existing objects follow as ADDED). */
  async watch(collection: Collection): Promise<void> {
    if (this.objects.has(collection.name)) return;
    this.objects.set(collection.name, new Map());
    await this.start(collection, undefined, 0);
  }

  private async start(collection: Collection, resourceVersion: string | undefined, restarts: number) {
    const cache = this.objects.get(collection.name) ?? new Map<string, KubernetesObject>();
    let lastVersion = resourceVersion;
    const query: Record<string, string> = { allowWatchBookmarks: 'true' };
    if (resourceVersion !== undefined) query.resourceVersion = resourceVersion;
    const abort = await new Watch(this.kc).watch(
      collection.path,
      query,
      (phase: string, obj: KubernetesObject) => {
        lastVersion = obj.metadata?.resourceVersion ?? lastVersion;
        if (phase === 'BOOKMARK') return;
        if (phase === 'ERROR') {
          // e.g. 410 Gone: the resource version is too old; a fresh watch replays the current objects.
          lastVersion = undefined;
          return;
        }
        const key = keyOf(obj);
        if (phase === 'DELETED') cache.delete(key);
        else cache.set(key, obj);
        for (const w of [...this.waiters]) w.check();
      },
      (err: unknown) => {
        if (this.stopped) return;
        // The API server ends watches after a while; carry on from the last version seen.
        if (restarts >= MAX_RESTARTS) {
          const why = err instanceof Error ? err.message : 'closed';
          const error = new Error(`watch ${collection.path} ended ${restarts + 1} times (${why})`);
          for (const w of [...this.waiters]) w.fail(error);
          return;
        }
        this.start(collection, err ? undefined : lastVersion, restarts + 1).catch((e: unknown) => {
          for (const w of [...this.waiters]) w.fail(e instanceof Error ? e : new Error(String(e)));
        });
      },
    );
    this.aborts.set(collection.name, abort);
  }

  list<T extends KubernetesObject>(collection: Collection<T>): T[] {
    return [...(this.objects.get(collection.name)?.values() ?? [])] as T[];
  }

  get<T extends KubernetesObject>(
    collection: Collection<T>,
    namespace: string | undefined,
    name: string,
  ): T | undefined {
    return this.objects.get(collection.name)?.get(`${namespace ?? ''}/${name}`) as T | undefined;
  }

  /** Objects of the collection whose controller owner reference has this uid, sorted by name. */
  ownedBy<T extends KubernetesObject>(collection: Collection<T>, uid: string | undefined): T[] {
    if (uid === undefined) return [];
    return this.list(collection)
      .filter((o) => o.metadata?.ownerReferences?.some((r) => r.controller === true && r.uid === uid))
      .sort((a, b) => compare(a.metadata?.name ?? '', b.metadata?.name ?? ''));
  }

  /**
   * Resolves with the first non-undefined value of `pick`, checked now and after every watch event, as a deep
   * copy (later events must not change a captured snapshot). Rejects after `timeoutMs`, with what `pick`'s
   * `explain` says about the state it is stuck in.
   */
  until<T>(
    description: string,
    pick: () => T | undefined,
    options: { timeoutMs?: number; explain?: () => unknown } = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        check: () => {
          const value = pick();
          if (value === undefined) return;
          done();
          resolve(structuredClone(value));
        },
        fail: (error) => {
          done();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        const state = options.explain ? `; last state: ${JSON.stringify(options.explain())}` : '';
        waiter.fail(new Error(`timed out after ${timeoutMs / 1000}s waiting for ${description}${state}`));
      }, timeoutMs);
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  stop(): void {
    this.stopped = true;
    for (const abort of this.aborts.values()) abort.abort();
    for (const w of [...this.waiters]) w.fail(new Error('store stopped'));
  }
}

/**
 * For a wait started before the action that causes the state (so the state cannot be missed) and awaited
 * after it: if the action throws first, the wait's rejection must not go unhandled and end the process before
 * the control plane is stopped. The returned promise still rejects for whoever awaits it.
 */
export function startedEarly<T>(wait: Promise<T>): Promise<T> {
  wait.catch(() => undefined);
  return wait;
}

function keyOf(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

// Code-unit order, so the related lists in the fixtures do not depend on the host's locale.
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
