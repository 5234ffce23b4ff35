import { type KubeConfig, type KubernetesObject, Watch } from '@kubernetes/client-node';

export interface WatchUntilOptions {
  /** e.g. /api/v1/namespaces/default/pods */
  path: string;
  /** Optional label selector for the watch. */
  labelSelector?: string;
  timeoutMs: number;
  /** Says what the test waits for, in the timeout error. */
  description: string;
}

/**
 * Resolves with the first object under `path` for which `predicate` holds, reading watch events (the initial
 * ADDED events cover objects that already exist). Rejects after `timeoutMs` with the last object seen, so a
 * failing test shows the state it got stuck in.
 */
export async function watchUntil<T extends KubernetesObject>(
  kc: KubeConfig,
  predicate: (obj: T) => boolean,
  options: WatchUntilOptions,
): Promise<T> {
  const watch = new Watch(kc);
  let last: T | undefined;
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<T>((resolve, reject) => {
      timer = setTimeout(() => {
        reject(
          new Error(
            `timed out after ${options.timeoutMs}ms waiting for ${options.description}; last object seen: ${JSON.stringify(last ?? null)}`,
          ),
        );
      }, options.timeoutMs);
      const query: Record<string, string> = {};
      if (options.labelSelector) query.labelSelector = options.labelSelector;
      watch
        .watch(
          options.path,
          query,
          (phase: string, obj: T) => {
            if (phase === 'DELETED') return;
            last = obj;
            if (predicate(obj)) resolve(obj);
          },
          (err: unknown) => {
            if (err instanceof Error && err.name !== 'AbortError') reject(err);
            else if (err !== null && err !== undefined && !(err instanceof Error))
              reject(new Error(`watch ${options.path} failed: ${JSON.stringify(err)}`));
          },
        )
        .then((c) => {
          controller = c;
        }, reject);
    });
  } finally {
    clearTimeout(timer);
    controller?.abort();
  }
}
