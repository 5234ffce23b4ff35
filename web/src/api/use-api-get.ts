// GET one API path into component state: the value, the error of the last attempt, and `reload`. A newer
// request (path or `revision` changed, or reload) aborts the one in flight, so an old answer never overwrites
// a newer one; the last value stays shown while a reload runs or after it fails.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useSession } from '../session-context';

export interface ApiGet<T> {
  readonly value: T | undefined;
  readonly error: unknown;
  readonly reload: () => void;
}

/** `revision`: anything that, when it changes, means the answer may have changed too (fetch again). */
export function useApiGet<T>(path: string, revision?: unknown): ApiGet<T> {
  const { api } = useSession();
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<unknown>();
  const inFlight = useRef<AbortController>(undefined);

  const reload = useCallback(() => {
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    api
      .get<T>(path, controller.signal)
      .then((v) => {
        setValue(v);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e);
      });
  }, [api, path]);

  useEffect(() => {
    reload();
    return () => inFlight.current?.abort();
  }, [reload, revision]);

  return { value, error, reload };
}
