import type { CoreV1Event, KubernetesObject, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { KubeError, type KubeApi, type ListWatch, type WatchCharge, type WatchEvent } from '../kube/index.js';
import { shownKubeText } from '../kube/shown-url.js';
import { controllerUid, refKey, type ObjectRef, type RelatedObjects } from '../status/index.js';
import { Label } from './render.js';
import { idleCollection } from './idle-collection.js';
import { answered, ReachabilityWatch, REACHABILITY_RETRY_MS, refused } from './reachability-watch.js';
import { slimOwned, slimRelated } from './slim-objects.js';
import { WarningEvents } from './warning-events.js';

export type WatchSetEvent =
  /** An object Strata applied (it carries the cluster label). */
  | { readonly type: 'Owned'; readonly event: WatchEvent<KubernetesObject>; readonly ref: ObjectRef }
  /** A Pod or ReplicaSet: it may change the state of a workload a pack owns. */
  | { readonly type: 'Related'; readonly event: WatchEvent<KubernetesObject> }
  /** A Warning event about the object with uid `uids[0]`; the rest are its controllers (pod → ReplicaSet → Deployment). */
  | { readonly type: 'Warning'; readonly uids: readonly string[] };

export interface WatchSetOptions {
  readonly kube: KubeApi;
  readonly cluster: string;
  readonly onEvent: (event: WatchSetEvent) => void;
  readonly onConnection: (state: { connected: true } | { connected: false; error: KubeError }) => void;
  /**
   * The cluster's part of the hub's watch budget (WatchBudget.account): every watch's cache and lists take from
   * it, and one it refuses reports the cluster disconnected with the refusal, as the per-kind bounds do.
   */
  readonly budget?: WatchCharge;
  /** Where a list refused for good is said, once (a namespace's, the reachability watch's). No server text. */
  readonly log?: (line: string) => void;
  /** How long after a refusal the reachability watch is asked for again. Default REACHABILITY_RETRY_MS. */
  readonly reachabilityRetryMs?: number;
}

/** The reachability watch's (reachability-watch.ts). */
const REACHABILITY_KIND: WatchedKind = {
  apiVersion: 'v1',
  kind: 'Namespace',
  fieldSelector: 'metadata.name=default',
};

const kindKey = (apiVersion: string, kind: string) => `${apiVersion}/${kind}`;
const LISTED: Promise<void> = Promise.resolve();

/** What a watch is for: objects a pack owns, objects they depend on, or only whether the cluster answers. */
const WatchRole = { Owned: 'owned', Related: 'related', Reachability: 'reachability' } as const;
type WatchRole = (typeof WatchRole)[keyof typeof WatchRole];

interface WatchedKind {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly fieldSelector?: string;
}

/** What is watched in each namespace the packs write to (ensureNamespaces). */
const namespaceKinds: readonly WatchedKind[] = [
  { apiVersion: 'v1', kind: 'Pod' },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  { apiVersion: 'v1', kind: 'Event', fieldSelector: 'type=Warning' },
];

/** One watch per key: per role, kind and namespace. */
function watchKey(kind: WatchedKind, role: WatchRole): string {
  const scope = kind.namespace === undefined ? '' : ` in ${kind.namespace}`;
  return `${role}:${kindKey(kind.apiVersion, kind.kind)}${scope}`;
}

/**
 * The runner's view of the cluster, all from list+watch (src/kube): every object carrying this cluster's
 * label, per kind, plus the Pods, ReplicaSets and Warning events of the namespaces the packs write to, because
 * controller-made pods carry no label of ours yet are where a Deployment's failure shows (ImagePullBackOff,
 * CrashLoopBackOff). Indexes are kept incrementally so an event costs the same with 20 or 20,000 objects.
 */
export class WatchSet implements RelatedObjects {
  private readonly watches = new Map<string, ListWatch<KubernetesObject>>();
  private readonly starting = new Map<string, Promise<void>>();
  /** Owned objects by ref key; each carries its apiVersion and kind (slimOwned sets them), so no ref is kept. */
  private readonly live = new Map<string, KubernetesObject>();
  private readonly keyByUid = new Map<string, string>();
  private readonly replicaSetByUid = new Map<string, V1ReplicaSet>();
  private readonly replicaSetsByOwner = new Map<string, Map<string, V1ReplicaSet>>();
  private readonly podsByOwner = new Map<string, Map<string, V1Pod>>();
  private readonly podOwner = new Map<string, string>();
  private readonly rsOwner = new Map<string, string>();
  private readonly disconnected = new Set<string>();
  private readonly warnings = new WarningEvents();
  /** Namespaces whose Pods, ReplicaSets and Warning events are watched: LISTED, or the lists under way. */
  private readonly namespaces = new Map<string, Promise<void>>();
  /** Namespaces a list was refused in, said once (until released): every inventory change asks again. */
  private readonly refusedIn = new Set<string>();
  private readonly reachability: ReachabilityWatch;
  /** Owned kinds (apiVersion → kinds) whose watch has listed: ensureKinds has nothing to wait for. */
  private readonly listed = new Map<string, Set<string>>();

  constructor(private readonly options: WatchSetOptions) {
    const key = watchKey(REACHABILITY_KIND, WatchRole.Reachability);
    this.reachability = new ReachabilityWatch({
      watch: () => this.watch(REACHABILITY_KIND, WatchRole.Reachability),
      retryMs: options.reachabilityRetryMs ?? REACHABILITY_RETRY_MS,
      ...(options.log === undefined ? {} : { log: options.log }),
      // Shown disconnected with the retry's failure (not an earlier one's reason) until a retry is answered:
      // without it, a retry that saw the cluster unreachable, then credentials refused, left it shown unreachable
      // for good once later retries were refused (review 26).
      onFailed: (error) => {
        if (!(error instanceof KubeError)) return;
        this.disconnected.add(key);
        this.options.onConnection({ connected: false, error });
      },
      onAnswered: () => {
        if (this.disconnected.delete(key) && this.disconnected.size === 0)
          this.options.onConnection({ connected: true });
      },
    });
  }

  /**
   * Starts the watch that reports whether the cluster is reachable before any pack asks for one
   * (reachability-watch.ts: what it watches, and a refusal). Resolves once it is listed or refused. Pods,
   * ReplicaSets and Warning events are watched per namespace the packs write to (ensureNamespaces), not
   * cluster-wide: a cluster's own 40,000 pods are none of the hub's business (issue 15).
   */
  start(): Promise<void> {
    return this.reachability.start();
  }

  /**
   * Makes sure Pods, ReplicaSets and Warning events are watched in these namespaces (those the packs write to),
   * one watch of each per namespace whatever the number of packs there. Controller-made pods carry no label of
   * ours yet are where a workload's failure shows (ImagePullBackOff, CrashLoopBackOff), and always sit in their
   * owner's namespace; Warning events carry the cause a status cannot (FailedCreate: quota, missing
   * ServiceAccount, webhook denied; FailedMount; probe failures; src/status/root-cause.ts), and only
   * `type=Warning` ones are sent by the API server. A namespace that does not exist yet (a pack creates it) lists
   * empty and is watched all the same. While a namespace's lists are under way `isListing` says so; resolves once
   * all of them settled, rejecting with the first failure (the namespace is then asked for again by the next
   * call, and the lists that did start are kept until then or until releaseNamespace).
   */
  ensureNamespaces(namespaces: Iterable<string>): Promise<void> {
    let started: Promise<void>[] | undefined;
    for (const namespace of namespaces) {
      if (this.namespaces.has(namespace)) continue;
      const listed = Promise.allSettled(
        namespaceKinds.map((kind) => this.watch({ ...kind, namespace }, WatchRole.Related)),
      ).then((results) => {
        if (this.namespaces.get(namespace) !== listed) return;
        const failed = results.findIndex((r) => r.status === 'rejected');
        const result = results[failed];
        if (result?.status !== 'rejected') {
          this.namespaces.set(namespace, LISTED);
          return;
        }
        this.namespaces.delete(namespace);
        const kind = namespaceKinds[failed];
        if (kind !== undefined && !this.refusedIn.has(namespace)) {
          this.refusedIn.add(namespace);
          this.options.log?.(
            `not watching ${kind.kind}s (${kind.apiVersion}) in namespace ${oneLine(namespace)} (${codeOf(result.reason)}): ` +
              'its workloads are judged without them',
          );
        }
        throw result.reason;
      });
      this.namespaces.set(namespace, listed);
      (started ??= []).push(listed);
    }
    if (started === undefined) return LISTED;
    return Promise.all(started).then(() => undefined);
  }

  /** Whether the namespace's Pods, ReplicaSets and Warning events are watched, or being listed. */
  isWatched(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  /** Whether the namespace's Pods, ReplicaSets or Warning events are being listed (ensureNamespaces). */
  isListing(namespace: string): boolean {
    const state = this.namespaces.get(namespace);
    return state !== undefined && state !== LISTED;
  }

  /**
   * No pack writes to the namespace any more: its Pods, ReplicaSets and Warning events are no longer watched,
   * and what the indexes hold of them goes. They were the hub's only because a pack's workloads lived there; a
   * namespace a pack left (its pack removed, or moved) may be a busy one of the cluster's own, and a restarted
   * hub would not watch it either. A pack that comes back lists it again. Also when one of its lists was
   * refused for good (it is no longer `isWatched` then): the others did start, and hold what they listed.
   */
  releaseNamespace(namespace: string): void {
    this.namespaces.delete(namespace);
    this.refusedIn.delete(namespace);
    let reconnected = false;
    for (const kind of namespaceKinds) {
      const key = watchKey({ ...kind, namespace }, WatchRole.Related);
      this.watches.get(key)?.stop();
      this.watches.delete(key);
      this.starting.delete(key);
      reconnected = this.disconnected.delete(key) || reconnected;
    }
    this.dropNamespace(namespace);
    // Its watch may have been the one that kept the cluster shown disconnected.
    if (reconnected && this.disconnected.size === 0) this.options.onConnection({ connected: true });
  }

  /** Makes sure objects of these kinds are watched; resolves once each is listed (the cache is current). */
  ensureKinds(kinds: Iterable<{ apiVersion: string; kind: string }>): Promise<void> {
    // Every install asks for the kinds it applies, nearly always listed long since: those are answered without
    // a key, a map or a promise per call (issue 15: allocation per pack).
    let distinct: Map<string, { apiVersion: string; kind: string }> | undefined;
    for (const k of kinds)
      if (this.listed.get(k.apiVersion)?.has(k.kind) !== true)
        (distinct ??= new Map()).set(kindKey(k.apiVersion, k.kind), k);
    if (distinct === undefined) return LISTED;
    return Promise.all([...distinct.values()].map((k) => this.watch(k, WatchRole.Owned))).then(
      () => undefined,
    );
  }

  get(ref: ObjectRef): KubernetesObject | undefined {
    return this.live.get(refKey(ref));
  }

  /** The key of the owned object with this uid, for mapping pod events to the workload they belong to. */
  keyOfUid(uid: string): string | undefined {
    return this.keyByUid.get(uid);
  }

  replicaSetsOwnedBy(uid: string): readonly V1ReplicaSet[] {
    return [...(this.replicaSetsByOwner.get(uid)?.values() ?? [])];
  }

  podsOwnedBy(uid: string): readonly V1Pod[] {
    return [...(this.podsByOwner.get(uid)?.values() ?? [])];
  }

  replicaSet(uid: string): V1ReplicaSet | undefined {
    return this.replicaSetByUid.get(uid);
  }

  warningEventsFor(uid: string): readonly CoreV1Event[] {
    return this.warnings.for(uid);
  }

  get watchedKinds(): number {
    return this.watches.size;
  }

  stop(): void {
    this.reachability.stop();
    for (const w of this.watches.values()) w.stop();
    this.watches.clear();
    this.listed.clear();
    this.namespaces.clear();
  }

  private watch(kind: WatchedKind, role: WatchRole): Promise<void> {
    // A pack may own Pods or ReplicaSets too: those are watched twice, once by label as owned objects.
    const key = watchKey(kind, role);
    const pending = this.starting.get(key);
    if (pending) return pending;
    const owned = role === WatchRole.Owned;
    const query = {
      ...kind,
      ...(owned ? { labelSelector: `${Label.Cluster}=${this.options.cluster}` } : {}),
    };
    const watch = this.options.kube.listWatch<KubernetesObject>(
      query,
      (event) => {
        if (role !== WatchRole.Reachability) this.handle(kind, owned, event);
      },
      {
        transform: owned ? slimOwned(kind) : slimRelated,
        ...(this.options.budget ? { budget: this.options.budget } : {}),
        onConnection: (state) => {
          const watchRefused = role === WatchRole.Reachability && !state.connected && refused(state.error);
          if (watchRefused) this.reachability.sayRefused();
          if (state.connected || watchRefused) {
            this.disconnected.delete(key);
            if (this.disconnected.size === 0) this.options.onConnection({ connected: true });
          } else {
            this.disconnected.add(key);
            this.options.onConnection({ connected: false, error: state.error });
          }
        },
      },
    );
    this.watches.set(key, watch);
    const started = watch.start().then(
      () => {
        if (!owned || kind.namespace !== undefined || this.watches.get(key) !== watch) return;
        const kinds = this.listed.get(kind.apiVersion);
        if (kinds === undefined) this.listed.set(kind.apiVersion, new Set([kind.kind]));
        else kinds.add(kind.kind);
      },
      (error: unknown) => {
        // Let a later ensureKinds try again (e.g. a CRD that was not established yet). A watch stopped by
        // releaseNamespace may have been started again since: that one stays.
        watch.stop();
        if (this.watches.get(key) === watch) {
          this.watches.delete(key);
          this.starting.delete(key);
          // A retryable failure before may have reported it disconnected; gone, it no longer keeps the cluster
          // shown so (review 21) when what ended it is the API server's answer (refused, unknown kind): the
          // cluster is reachable. Credentials refused, a denied address or a plugin's failure leave it shown so.
          if (this.disconnected.delete(key) && this.disconnected.size === 0 && answered(error))
            this.options.onConnection({ connected: true });
        }
        throw error;
      },
    );
    this.starting.set(key, started);
    return started;
  }

  private handle(
    kind: { apiVersion: string; kind: string },
    owned: boolean,
    event: WatchEvent<KubernetesObject>,
  ): void {
    idleCollection.note();
    const object = event.object;
    const meta = object.metadata ?? {};
    const ref: ObjectRef = {
      apiVersion: kind.apiVersion,
      kind: kind.kind,
      name: meta.name ?? '',
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
    };
    const deleted = event.type === 'DELETED';
    if (owned) {
      const key = refKey(ref);
      if (deleted) {
        this.live.delete(key);
        if (meta.uid) this.keyByUid.delete(meta.uid);
      } else {
        this.live.set(key, object);
        if (meta.uid) this.keyByUid.set(meta.uid, key);
      }
      this.options.onEvent({ type: 'Owned', event, ref });
    }
    if (kind.kind === 'Pod' && kind.apiVersion === 'v1') this.indexPod(object, deleted);
    if (kind.kind === 'ReplicaSet' && kind.apiVersion === 'apps/v1') this.indexReplicaSet(object, deleted);
    if (kind.kind === 'Event' && kind.apiVersion === 'v1' && !owned) {
      const uid = this.warnings.record(object as CoreV1Event, deleted);
      if (uid !== undefined) this.options.onEvent({ type: 'Warning', uids: this.withControllers(uid) });
      return;
    }
    if (!owned) this.options.onEvent({ type: 'Related', event });
  }

  /** The Pods and ReplicaSets of `namespace` leave the indexes, and the Warning events about anything there. */
  private dropNamespace(namespace: string): void {
    for (const bucket of [...this.podsByOwner.values()])
      for (const [uid, pod] of [...bucket])
        if (pod.metadata?.namespace === namespace)
          reindex(this.podsByOwner, this.podOwner, uid, undefined, undefined);
    for (const [uid, rs] of [...this.replicaSetByUid]) {
      if (rs.metadata?.namespace !== namespace) continue;
      this.replicaSetByUid.delete(uid);
      reindex(this.replicaSetsByOwner, this.rsOwner, uid, undefined, undefined);
    }
    this.warnings.forgetNamespace(namespace);
  }

  /** `uid` and its controllers as far as the Pod and ReplicaSet indexes know them. */
  private withControllers(uid: string): string[] {
    const out = [uid];
    const owner = this.podOwner.get(uid) ?? this.rsOwner.get(uid);
    if (owner !== undefined) out.push(owner);
    const grandOwner = owner === undefined ? undefined : this.rsOwner.get(owner);
    if (grandOwner !== undefined) out.push(grandOwner);
    return out;
  }

  private indexPod(pod: V1Pod, deleted: boolean): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (deleted) this.warnings.forget(uid);
    reindex(this.podsByOwner, this.podOwner, uid, deleted ? undefined : pod, controllerUid(pod));
  }

  private indexReplicaSet(rs: V1ReplicaSet, deleted: boolean): void {
    const uid = rs.metadata?.uid;
    if (!uid) return;
    if (deleted) {
      this.replicaSetByUid.delete(uid);
      this.warnings.forget(uid);
    } else this.replicaSetByUid.set(uid, rs);
    reindex(this.replicaSetsByOwner, this.rsOwner, uid, deleted ? undefined : rs, controllerUid(rs));
  }
}

/**
 * A namespace as a log line shows it: whatever a manifest said (review 22), without controls or line breaks (a
 * forged second line), cut to a namespace's longest (63) and the marker.
 */
const oneLine = (namespace: string): string => shownKubeText(namespace.replace(/\s+/g, ' '), { max: 63 });

/** What a failure is, by its code only: a KubeError's message may carry the server's text. */
const codeOf = (error: unknown): string => (error instanceof KubeError ? error.code : 'failed');

/** Moves `uid` to the right owner bucket (or out of all of them when `value` is undefined). */
function reindex<T>(
  byOwner: Map<string, Map<string, T>>,
  ownerOf: Map<string, string>,
  uid: string,
  value: T | undefined,
  owner: string | undefined,
): void {
  const previous = ownerOf.get(uid);
  if (previous !== undefined && (value === undefined || previous !== owner)) {
    const bucket = byOwner.get(previous);
    bucket?.delete(uid);
    if (bucket?.size === 0) byOwner.delete(previous);
    ownerOf.delete(uid);
  }
  if (value === undefined || owner === undefined) return;
  let bucket = byOwner.get(owner);
  if (!bucket) {
    bucket = new Map();
    byOwner.set(owner, bucket);
  }
  bucket.set(uid, value);
  ownerOf.set(uid, owner);
}
