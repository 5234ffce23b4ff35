// Timestamps on the runner's edges, taken without touching src/engine: the KubeClient instance handed to the
// ClusterRunner gets instance-level wrappers around `watch` (a raw event parsed off the stream), `listWatch`
// (the ListWatch calling its handler) and `apply` (our server-side apply returning). KubeClient's constructor
// is private, so it cannot be subclassed; the wrappers shadow the prototype methods on this one object, and
// `listWatch` reaches the wrapped `watch` because it calls `this.watch`.
import { performance } from 'node:perf_hooks';
import type { KubernetesObject } from '@kubernetes/client-node';
import type {
  ApplyOptions,
  KubeClient,
  ListWatchOptions,
  RawWatchEvent,
  WatchHandler,
  WatchQuery,
} from '../../src/kube/index.js';

/** One watch event as it reached the runner. Times are performance.now() milliseconds. */
export interface Arrival {
  readonly kind: string;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** `ns/name` (or `name`). */
  readonly key: string;
  readonly object: KubernetesObject;
  /** When KubeClient.watch yielded the parsed event (undefined for events that came from a list). */
  readonly wireAt: number | undefined;
  /** When the ListWatch called the runner's handler. */
  readonly handlerAt: number;
}

export interface ApplyStamp {
  readonly kind: string;
  readonly key: string;
  readonly object: KubernetesObject;
  readonly startedAt: number;
  readonly doneAt: number;
}

const keyOf = (o: KubernetesObject): string =>
  o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name ?? ''}` : (o.metadata?.name ?? '');

export class Probe {
  /** The watch event whose handler is running right now: anything the runner emits meanwhile is its effect. */
  current: Arrival | undefined;
  onArrival: ((arrival: Arrival) => void) | undefined;
  readonly applies: ApplyStamp[] = [];
  /** Handler calls and the time spent inside them, per watched kind (list deliveries included). */
  readonly handled = new Map<string, { calls: number; totalMs: number; maxMs: number }>();
  private readonly wire = new Map<string, number>();

  /** Instruments `kube` in place and returns it. */
  attach(kube: KubeClient): KubeClient {
    const watch = kube.watch.bind(kube);
    const listWatch = kube.listWatch.bind(kube);
    const apply = kube.apply.bind(kube);

    kube.watch = <T extends KubernetesObject>(
      q: WatchQuery,
      resourceVersion: string,
      options: { timeoutSeconds: number; signal: AbortSignal },
    ): AsyncGenerator<RawWatchEvent<T>> => this.stampWire(q.kind, watch<T>(q, resourceVersion, options));

    kube.listWatch = <T extends KubernetesObject>(
      q: WatchQuery,
      handler: WatchHandler<T>,
      opts?: ListWatchOptions,
    ) =>
      listWatch<T>(
        q,
        (event) => {
          const handlerAt = performance.now();
          const wireId = `${q.kind}:${event.object.metadata?.uid ?? ''}:${event.object.metadata?.resourceVersion ?? ''}`;
          const wireAt = this.wire.get(wireId);
          this.wire.delete(wireId);
          const arrival: Arrival = {
            kind: q.kind,
            type: event.type,
            key: keyOf(event.object),
            object: event.object,
            wireAt,
            handlerAt,
          };
          this.onArrival?.(arrival);
          this.current = arrival;
          try {
            return handler(event);
          } finally {
            this.current = undefined;
            const spent = performance.now() - handlerAt;
            const stats = this.handled.get(q.kind) ?? { calls: 0, totalMs: 0, maxMs: 0 };
            this.handled.set(q.kind, {
              calls: stats.calls + 1,
              totalMs: stats.totalMs + spent,
              maxMs: Math.max(stats.maxMs, spent),
            });
          }
        },
        opts,
      );

    kube.apply = async <T extends KubernetesObject>(obj: T, opts: ApplyOptions): Promise<T> => {
      const startedAt = performance.now();
      const result = await apply(obj, opts);
      this.applies.push({
        kind: obj.kind ?? '',
        key: keyOf(result),
        object: obj,
        startedAt,
        doneAt: performance.now(),
      });
      return result;
    };
    return kube;
  }

  private async *stampWire<T extends KubernetesObject>(
    kind: string,
    events: AsyncGenerator<RawWatchEvent<T>>,
  ): AsyncGenerator<RawWatchEvent<T>> {
    for await (const event of events) {
      if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
        const meta = event.object.metadata;
        this.wire.set(`${kind}:${meta?.uid ?? ''}:${meta?.resourceVersion ?? ''}`, performance.now());
        // Events the ListWatch drops (same resourceVersion as cached) never reach a handler: keep this bounded.
        if (this.wire.size > 10_000) this.wire.clear();
      }
      yield event;
    }
  }
}
