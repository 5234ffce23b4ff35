// The older pages of a paged history route (`?before=` + `next`, as the hub's history and runs routes answer),
// loaded one at a time when the user asks, before the newest page the component already holds. When the newest
// page is read again (it changed), the older ones are dropped: the newest page moved on, and keeping them could
// leave a gap between it and them.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useSession } from '../session-context';

export interface Paged<T> {
  readonly items: readonly T[];
  readonly next?: number;
}

export interface OlderPages<T> {
  /** Older items loaded so far, oldest first, to show before the newest page's. */
  readonly items: readonly T[];
  /** Whether older items are left to load. */
  readonly more: boolean;
  readonly loading: boolean;
  /** The last load's error, if it failed. */
  readonly error: unknown;
  readonly loadOlder: () => void;
}

/** What was loaded before one newest page: a newer newest page starts from nothing. */
interface Loaded<P, T> {
  readonly base: P | undefined;
  readonly items: readonly T[];
  readonly cursor: number | undefined;
  readonly loading: boolean;
  readonly error: unknown;
}

/**
 * `path`: the route without a query; `newest`: its newest page as held (undefined while it loads); `paged`: its
 * items and cursor.
 */
export function useOlderPages<P, T>(
  path: string,
  newest: P | undefined,
  paged: (page: P) => Paged<T>,
): OlderPages<T> {
  const { api } = useSession();
  const [state, setState] = useState<Loaded<P, T>>({
    base: undefined,
    items: [],
    cursor: undefined,
    loading: false,
    error: undefined,
  });
  const loaded: Loaded<P, T> =
    state.base === newest
      ? state
      : {
          base: newest,
          items: [],
          cursor: newest === undefined ? undefined : paged(newest).next,
          loading: false,
          error: undefined,
        };
  const inFlight = useRef<AbortController>(undefined);
  useEffect(() => () => inFlight.current?.abort(), [newest]);

  const { cursor } = loaded;
  const loadOlder = useCallback(() => {
    if (cursor === undefined) return;
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    const base = newest;
    const before: Loaded<P, T> = loaded;
    setState({ ...before, loading: true, error: undefined });
    api
      .get<P>(`${path}?before=${String(cursor)}`, controller.signal)
      .then((page) => {
        const { items, next } = paged(page);
        setState((s) =>
          s.base === base
            ? { base, items: [...items, ...s.items], cursor: next, loading: false, error: undefined }
            : s,
        );
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        setState((s) => (s.base === base ? { ...s, loading: false, error } : s));
      });
  }, [api, path, cursor, newest, loaded, paged]);

  return {
    items: loaded.items,
    more: cursor !== undefined,
    loading: loaded.loading,
    error: loaded.error,
    loadOlder,
  };
}
