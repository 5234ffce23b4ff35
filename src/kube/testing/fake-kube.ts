// An in-memory Kubernetes API behind the KubeApi interface, for unit tests of what runs on top of it (the cluster
// runner above all): objects with resourceVersions and generations, list and watch from a resourceVersion (410
// Gone once compacted), discovery that stops serving a kind when its CRD is deleted, finalizers, and reactors that
// fail chosen requests, after client-go's fake clientset (k8s.io/client-go/testing: Fake, PrependReactor). Watches
// go through the real ListWatch, so its caching, relisting and backoff are what the code under test sees.
import type { KubernetesObject } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { KubeApi } from '../api.js';
import type { ApplyOptions, DeleteOptions, WatchQuery } from '../client.js';
import { KubeError, KubeErrorCode } from '../errors.js';
import { ListWatch, type ListWatchOptions, type ListWatchSource, type WatchHandler } from '../list-watch.js';
import { formatRef, type ObjectRef } from '../../shared/refs.js';
import { parseApiVersion, type ResourceInfo } from '../refs.js';
import type { RawWatchEvent } from '../watch-stream.js';

/** One served kind, as discovery maps it. */
export interface FakeResource {
  readonly apiVersion: string;
  readonly kind: string;
  /** The plural resource name, e.g. `deployments`. */
  readonly resource: string;
  readonly namespaced: boolean;
}

/** One request the fake received, as reactors see it and `actions` records it. */
export type FakeAction =
  | { readonly verb: 'apply'; readonly ref: ObjectRef; readonly object: KubernetesObject }
  | { readonly verb: 'get' | 'delete'; readonly ref: ObjectRef }
  | { readonly verb: 'list' | 'watch'; readonly query: WatchQuery }
  | { readonly verb: 'discovery' };

/**
 * Sees every request before the store answers it; throwing fails the request with that error (e.g. a KubeError
 * Forbidden or ServerError), returning lets the store answer.
 */
export type Reactor = (action: FakeAction) => void;

const ns = (name: string) => ({ name, namespaced: true });
const cluster = (name: string) => ({ name, namespaced: false });

/** The built-in kinds a runner and its tests use; add others with serve(). */
const BUILT_IN: Record<string, Record<string, { name: string; namespaced: boolean }>> = {
  v1: {
    Namespace: cluster('namespaces'),
    ConfigMap: ns('configmaps'),
    Secret: ns('secrets'),
    ServiceAccount: ns('serviceaccounts'),
    Service: ns('services'),
    Pod: ns('pods'),
    Event: ns('events'),
    PersistentVolumeClaim: ns('persistentvolumeclaims'),
  },
  'apps/v1': {
    Deployment: ns('deployments'),
    ReplicaSet: ns('replicasets'),
    StatefulSet: ns('statefulsets'),
    DaemonSet: ns('daemonsets'),
  },
  'batch/v1': { Job: ns('jobs') },
  'apiextensions.k8s.io/v1': { CustomResourceDefinition: cluster('customresourcedefinitions') },
  'rbac.authorization.k8s.io/v1': {
    ClusterRole: cluster('clusterroles'),
    ClusterRoleBinding: cluster('clusterrolebindings'),
    Role: ns('roles'),
    RoleBinding: ns('rolebindings'),
  },
};

interface HistoryEntry {
  readonly resourceVersion: number;
  readonly kind: string;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: KubernetesObject;
}

interface Watcher {
  /** matches() for the watch's query, its selectors parsed once rather than for every change recorded. */
  readonly matches: (object: KubernetesObject) => boolean;
  /** kindKey() of the query, made once rather than for every change recorded. */
  readonly kind: string;
  readonly queue: RawWatchEvent<KubernetesObject>[];
  wake: () => void;
  /** Ends the watch with this error (its kind is no longer served). */
  ended?: KubeError;
}

export interface FakeKubeOptions {
  /** `.Capabilities.KubeVersion`; default v1.34.0. */
  readonly kubeVersion?: string;
  /** Options every listWatch gets (e.g. a backoff in milliseconds), merged under the caller's. */
  readonly listWatch?: ListWatchOptions;
  /**
   * Whether `actions` records the requests (default true). A benchmark of what runs on top turns it off: the
   * log keeps every applied object, memory no API server holds in its client's process.
   */
  readonly recordActions?: boolean;
  /**
   * The size each listed or watched object is counted at, as an API server's answer gives it to ListWatch's
   * bounds and the hub's watch budget (its share of a list page, its watch line). Default none: not counted.
   */
  readonly objectBytes?: (object: KubernetesObject) => number;
}

export class FakeKube implements KubeApi {
  /** Every apply and delete, in the order received (failed ones included): what tests assert order on. */
  readonly actions: FakeAction[] = [];
  private readonly resources = new Map<string, FakeResource>();
  private readonly objects = new Map<string, Map<string, KubernetesObject>>();
  private readonly history: HistoryEntry[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly reactors: Reactor[] = [];
  private revision = 1;
  /** Watches from a resourceVersion older than this get 410 Gone, as after etcd compaction. */
  private compactedBefore = 0;
  private uids = 0;

  constructor(private readonly options: FakeKubeOptions = {}) {
    for (const [apiVersion, kinds] of Object.entries(BUILT_IN))
      for (const [kind, r] of Object.entries(kinds))
        this.serve({ apiVersion, kind, resource: r.name, namespaced: r.namespaced });
  }

  // -----------------------------------------------------------------------------------------------------------
  // Test controls.

  /** Serves a kind from now on (as an Established CRD does). */
  serve(resource: FakeResource): void {
    this.resources.set(kindKey(resource.apiVersion, resource.kind), resource);
  }

  /**
   * Stops serving a kind: its objects are deleted (watchers see DELETED) and its watches end with NotFound.
   * `silently`: the watches end first, so they never see those deletions (a watch cut off as the CRD went).
   */
  unserve(apiVersion: string, kind: string, options: { silently?: boolean } = {}): void {
    const key = kindKey(apiVersion, kind);
    const objects = this.objects.get(key);
    if (options.silently) objects?.clear();
    for (const object of [...(objects?.values() ?? [])]) this.remove(key, object);
    this.resources.delete(key);
    for (const watcher of this.watchers) {
      if (watcher.kind !== key) continue;
      watcher.ended = new KubeError(
        KubeErrorCode.NotFound,
        `the server could not find ${kind} (${apiVersion})`,
      );
      watcher.wake();
    }
  }

  /** Adds a reactor that sees requests before the others; returns a function that removes it. */
  react(reactor: Reactor): () => void {
    this.reactors.unshift(reactor);
    return () => {
      const index = this.reactors.indexOf(reactor);
      if (index >= 0) this.reactors.splice(index, 1);
    };
  }

  /** The stored object, or undefined (no reactor runs). */
  peek(ref: ObjectRef): KubernetesObject | undefined {
    return this.objects.get(kindKey(ref.apiVersion, ref.kind))?.get(objectKey(ref));
  }

  /** Every stored object of a kind. */
  all(apiVersion: string, kind: string): KubernetesObject[] {
    return [...(this.objects.get(kindKey(apiVersion, kind))?.values() ?? [])];
  }

  /** Writes an object's status as its controller would (MODIFIED, new resourceVersion, generation kept). */
  setStatus(ref: ObjectRef, status: unknown): void {
    const current = this.peek(ref);
    if (!current) throw new Error(`fake kube: no ${formatRef(ref)} to set the status of`);
    this.store(kindKey(ref.apiVersion, ref.kind), { ...current, status } as KubernetesObject);
  }

  /** Creates or replaces an object as another client would (no field manager of ours). */
  put(object: KubernetesObject): KubernetesObject {
    const ref = refFrom(object);
    const key = kindKey(ref.apiVersion, ref.kind);
    const current = this.peek(ref);
    return this.store(key, {
      ...object,
      metadata: Object.assign({}, current?.metadata, object.metadata, {
        uid: current?.metadata?.uid ?? this.uid(),
      }),
    });
  }

  /** Removes an object's finalizers, so a deletion under way completes. */
  finalize(ref: ObjectRef): void {
    const current = this.peek(ref);
    if (!current) return;
    const key = kindKey(ref.apiVersion, ref.kind);
    const object = { ...current, metadata: Object.assign({}, current.metadata, { finalizers: [] }) };
    if (current.metadata?.deletionTimestamp) this.remove(key, object);
    else this.store(key, object);
  }

  /** Forgets the change history, so a watch from an older resourceVersion gets 410 Gone and relists. */
  compact(): void {
    this.compactedBefore = this.revision;
    this.history.length = 0;
  }

  // -----------------------------------------------------------------------------------------------------------
  // KubeApi.

  resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    return this.answer({ verb: 'discovery' }, () => this.mapping(apiVersion, kind));
  }

  capabilities(): Promise<{ kubeVersion: string; apiVersions: string[] }> {
    return this.answer({ verb: 'discovery' }, () => {
      const out = new Set<string>();
      for (const r of this.resources.values()) out.add(r.apiVersion).add(`${r.apiVersion}/${r.kind}`);
      return { kubeVersion: this.options.kubeVersion ?? 'v1.34.0', apiVersions: [...out].sort() };
    });
  }

  invalidateDiscovery(): void {
    // Discovery is always current here.
  }

  apply<T extends KubernetesObject>(obj: T, opts: ApplyOptions): Promise<T> {
    const ref = refFrom(obj);
    const action: FakeAction = { verb: 'apply', ref, object: obj };
    this.log(action);
    return this.answer(action, () => {
      const info = this.mapping(ref.apiVersion, ref.kind);
      if (!ref.name)
        throw new KubeError(
          KubeErrorCode.Invalid,
          `cannot apply ${formatRef(ref)}: metadata.name is required`,
        );
      const placed = info.namespaced ? { ...ref, namespace: ref.namespace ?? 'default' } : ref;
      const current = this.peek(placed);
      const others =
        current === undefined
          ? []
          : (current.metadata?.managedFields ?? []).filter((f) => f.manager !== opts.fieldManager);
      const spec = (o: KubernetesObject | undefined) =>
        JSON.stringify((o as { spec?: unknown } | undefined)?.spec);
      const next = {
        ...obj,
        metadata: {
          ...Object.assign({}, obj.metadata, info.namespaced ? { namespace: placed.namespace } : {}),
          uid: current?.metadata?.uid ?? this.uid(),
          creationTimestamp: current?.metadata?.creationTimestamp ?? new Date(0).toISOString(),
          generation: (current?.metadata?.generation ?? 0) + (current && spec(current) === spec(obj) ? 0 : 1),
          managedFields: [
            ...others,
            { manager: opts.fieldManager, operation: 'Apply', fieldsV1: fieldSet(obj) },
          ],
          ...(current?.metadata?.resourceVersion === undefined
            ? {}
            : { resourceVersion: current.metadata.resourceVersion }),
        },
        ...(current && 'status' in current ? { status: (current as { status?: unknown }).status } : {}),
      } as unknown as T;
      // An apply that changes nothing is not written, as the API server skips a no-op update: the object keeps
      // its resourceVersion and no watch sees an event (re-applying an unchanged pack must not look like a change).
      if (current !== undefined && isDeepStrictEqual(next, current)) return current as T;
      if (opts.dryRun) return next;
      const key = kindKey(ref.apiVersion, ref.kind);
      // `next` is this apply's own object: stored as it is, not copied again.
      const stored = this.commit(key, next) as T;
      if (key === kindKey('apiextensions.k8s.io/v1', 'CustomResourceDefinition')) this.establish(stored);
      return this.peek(placed) as T;
    });
  }

  get<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined> {
    return this.answer({ verb: 'get', ref }, () => {
      const info = this.mapping(ref.apiVersion, ref.kind);
      return this.peek(this.placed(ref, info)) as T | undefined;
    });
  }

  delete(ref: ObjectRef, _opts: DeleteOptions = {}): Promise<boolean> {
    const action: FakeAction = { verb: 'delete', ref };
    this.log(action);
    return this.answer(action, () => {
      const info = this.mapping(ref.apiVersion, ref.kind);
      const placed = this.placed(ref, info);
      const current = this.peek(placed);
      if (!current) return false;
      const key = kindKey(ref.apiVersion, ref.kind);
      if (ref.kind === 'Namespace' && ref.apiVersion === 'v1') {
        for (const [k, objects] of this.objects)
          for (const o of [...objects.values()]) if (o.metadata?.namespace === ref.name) this.remove(k, o);
      }
      if ((current.metadata?.finalizers ?? []).length > 0) {
        if (!current.metadata?.deletionTimestamp)
          this.store(key, {
            ...current,
            metadata: Object.assign({}, current.metadata, { deletionTimestamp: new Date(0) }),
          });
        return true;
      }
      this.remove(key, current);
      if (key === kindKey('apiextensions.k8s.io/v1', 'CustomResourceDefinition')) this.disestablish(current);
      return true;
    });
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  list<T extends KubernetesObject>(q: WatchQuery): Promise<{ items: T[]; resourceVersion: string }> {
    return this.answer({ verb: 'list', query: q }, () => {
      this.mapping(q.apiVersion, q.kind);
      const matches = matcher(q);
      const items = [...(this.objects.get(kindKey(q.apiVersion, q.kind))?.values() ?? [])]
        .filter(matches)
        // The API server leaves kind and apiVersion out of list items; KubeClient.list puts them back.
        .map((o) => ({ ...o, apiVersion: q.apiVersion, kind: q.kind }) as T);
      return { items, resourceVersion: String(this.revision) };
    });
  }

  listWatch<T extends KubernetesObject>(
    q: WatchQuery,
    handler: WatchHandler<T>,
    opts: ListWatchOptions = {},
  ): ListWatch<T> {
    const source: ListWatchSource<T> = {
      list: async (_signal, transform) => {
        const { items, resourceVersion } = await this.list<T>(q);
        const bytes = this.options.objectBytes;
        if (bytes === undefined) return { items: items.map((item) => transform(item)), resourceVersion };
        const sizes = items.map(bytes);
        return { items: items.map((item, i) => transform(item, sizes[i])), resourceVersion, sizes };
      },
      watch: (resourceVersion, options) => {
        const events = this.watch<T>(q, resourceVersion, options.signal);
        const bytes = this.options.objectBytes;
        if (bytes === undefined) return events;
        return (async function* () {
          for await (const event of events) yield { ...event, bytes: bytes(event.object) };
        })();
      },
    };
    return new ListWatch<T>(
      source,
      handler,
      { ...this.options.listWatch, ...opts },
      `${q.kind} (${q.apiVersion})`,
    );
  }

  /** Changes after `resourceVersion`, then each new one as it happens, until `signal` aborts. */
  async *watch<T extends KubernetesObject>(
    q: WatchQuery,
    resourceVersion: string,
    signal: AbortSignal,
  ): AsyncGenerator<RawWatchEvent<T>> {
    await this.answer({ verb: 'watch', query: q }, () => this.mapping(q.apiVersion, q.kind));
    const from = Number(resourceVersion || '0');
    if (from < this.compactedBefore)
      throw new KubeError(KubeErrorCode.Gone, `too old resource version: ${from} (${this.compactedBefore})`);
    const key = kindKey(q.apiVersion, q.kind);
    const matches = matcher(q);
    const watcher: Watcher = {
      matches,
      kind: key,
      queue: this.history
        .filter((e) => e.kind === key && e.resourceVersion > from && matches(e.object))
        .map((e) => ({ type: e.type, object: e.object })),
      wake: () => undefined,
    };
    this.watchers.add(watcher);
    try {
      while (!signal.aborted) {
        const event = watcher.queue.shift();
        if (event) {
          yield event as RawWatchEvent<T>;
          continue;
        }
        if (watcher.ended) throw watcher.ended;
        await new Promise<void>((resolve) => {
          watcher.wake = resolve;
          signal.addEventListener(
            'abort',
            () => {
              resolve();
            },
            { once: true },
          );
        });
      }
    } finally {
      this.watchers.delete(watcher);
    }
  }

  // -----------------------------------------------------------------------------------------------------------
  // The store.

  /** Runs the reactors, then the store, always asynchronously as a server would answer. */
  private async answer<T>(action: FakeAction, store: () => T): Promise<T> {
    await Promise.resolve();
    // A copy, as a reactor may remove itself; none to copy in most tests and in the engine bench.
    if (this.reactors.length > 0) for (const reactor of [...this.reactors]) reactor(action);
    return store();
  }

  private mapping(apiVersion: string, kind: string): ResourceInfo {
    const served = this.resources.get(kindKey(apiVersion, kind));
    if (!served)
      throw new KubeError(
        KubeErrorCode.UnknownKind,
        `no kind "${kind}" in "${apiVersion}": the server does not serve it (is its CRD installed and Established?)`,
      );
    const { group, version } = parseApiVersion(apiVersion);
    return { group, version, kind, resource: served.resource, namespaced: served.namespaced };
  }

  private placed(ref: ObjectRef, info: ResourceInfo): ObjectRef {
    return info.namespaced ? { ...ref, namespace: ref.namespace ?? 'default' } : ref;
  }

  private store(key: string, object: KubernetesObject): KubernetesObject {
    return this.commit(key, { ...object, metadata: Object.assign({}, object.metadata) });
  }

  /** Stores `object`, which nothing else holds (its metadata included), with the next resourceVersion. */
  private commit(key: string, object: KubernetesObject): KubernetesObject {
    let objects = this.objects.get(key);
    if (objects === undefined) {
      objects = new Map<string, KubernetesObject>();
      this.objects.set(key, objects);
    }
    const metadata = (object.metadata ??= {});
    const id = metadata.namespace ? `${metadata.namespace}/${metadata.name ?? ''}` : (metadata.name ?? '');
    const type = objects.has(id) ? 'MODIFIED' : 'ADDED';
    metadata.resourceVersion = String(++this.revision);
    objects.set(id, object);
    this.record(key, type, object);
    return object;
  }

  private log(action: FakeAction): void {
    if (this.options.recordActions !== false) this.actions.push(action);
  }

  private remove(key: string, object: KubernetesObject): void {
    this.objects.get(key)?.delete(objectKey(refFrom(object)));
    this.record(key, 'DELETED', {
      ...object,
      metadata: Object.assign({}, object.metadata, { resourceVersion: String(++this.revision) }),
    });
  }

  private record(kind: string, type: HistoryEntry['type'], object: KubernetesObject): void {
    this.history.push({ resourceVersion: this.revision, kind, type, object });
    for (const watcher of this.watchers) {
      if (watcher.kind !== kind || !watcher.matches(object)) continue;
      watcher.queue.push({ type, object });
      watcher.wake();
    }
  }

  /** As the apiextensions controller does: the CRD's kinds are served, and it says Established. */
  private establish(crd: KubernetesObject): void {
    const spec = (crd as { spec?: CrdSpec }).spec;
    for (const version of spec?.versions ?? [])
      if (version.served !== false && spec?.group && spec.names?.kind && spec.names.plural)
        this.serve({
          apiVersion: `${spec.group}/${version.name}`,
          kind: spec.names.kind,
          resource: spec.names.plural,
          namespaced: spec.scope !== 'Cluster',
        });
    this.setStatus(refFrom(crd), {
      conditions: [{ type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: '' }],
    });
  }

  private disestablish(crd: KubernetesObject): void {
    const spec = (crd as { spec?: CrdSpec }).spec;
    for (const version of spec?.versions ?? [])
      if (spec?.group && spec.names?.kind) this.unserve(`${spec.group}/${version.name}`, spec.names.kind);
  }

  private uid(): string {
    return `00000000-0000-4000-8000-${String(++this.uids).padStart(12, '0')}`;
  }
}

interface CrdSpec {
  group?: string;
  scope?: string;
  names?: { kind?: string; plural?: string };
  versions?: { name: string; served?: boolean }[];
}

function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

function objectKey(ref: ObjectRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

function refFrom(object: KubernetesObject): ObjectRef {
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    name: object.metadata?.name ?? '',
    ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
  };
}

/**
 * Whether an object matches the query's namespace, label selector (`k=v`, `k!=v`, `k`) and field selector
 * (`path=value`). The selectors are parsed here, once per list or watch, not for each object matched.
 */
function matcher(q: WatchQuery): (object: KubernetesObject) => boolean {
  const labelTerms = splitSelector(q.labelSelector).map((term) => {
    const [key, value] = term.split(/!?=/, 2) as [string, string | undefined];
    return { key, value, negated: term.includes('!=') };
  });
  const fieldTerms = splitSelector(q.fieldSelector).map((term) => {
    const [path, value] = term.split('=', 2) as [string, string | undefined];
    return { path: path.split('.'), value };
  });
  return (object) => {
    if (q.namespace !== undefined && object.metadata?.namespace !== q.namespace) return false;
    const labels = object.metadata?.labels ?? {};
    for (const { key, value, negated } of labelTerms)
      if (value === undefined ? !(key in labels) : negated === (labels[key] === value)) return false;
    for (const { path, value } of fieldTerms) {
      let at: unknown = object;
      for (const part of path) at = (at as Record<string, unknown> | undefined)?.[part];
      if (at !== value) return false;
    }
    return true;
  };
}

function splitSelector(selector: string | undefined): string[] {
  return (selector ?? '').split(',').filter((t) => t !== '');
}

/**
 * A field set's leaf (`f:name: {}`), one for every stored object: seven of them per ConfigMap were most of what
 * the fake kept per object in the engine bench, memory the API server holds in its own process. The same JSON.
 */
const LEAF = Object.freeze({});

/** The fields an apply sets, as the API server's fieldsV1 names them (`f:spec`, `f:data`, …). */
function fieldSet(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return LEAF;
  // A loop, not entries → filter → map → fromEntries: every apply of a bench install runs this over the whole
  // object, and its temporary arrays were the largest garbage of the engine-events bench (issue 15).
  const fields: Record<string, unknown> = {};
  const record = value as Record<string, unknown>;
  for (const key in record)
    if (Object.hasOwn(record, key) && key !== 'apiVersion' && key !== 'kind')
      fields[`f:${key}`] = fieldSet(record[key]);
  return fields;
}
