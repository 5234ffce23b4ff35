import { describe, expect, it } from 'vitest';
import { StoreError, StoreErrorCode, type Store } from '../store/index.js';
import { storedRenderCache } from './render-cache.js';

/** Just the repository the adapter uses; the store's own suite covers the real one on both databases. */
function storeWith(get: () => Promise<unknown>): Store {
  return {
    renders: { get, put: () => Promise.resolve(), forget: () => Promise.resolve() },
  } as unknown as Store;
}

describe('storedRenderCache', () => {
  it('renders again when the stored entry no longer opens, saying so', async () => {
    const logged: string[] = [];
    const cache = storedRenderCache(
      storeWith(() =>
        Promise.reject(new StoreError(StoreErrorCode.SecretCorrupt, 'rendering of pack db does not decrypt')),
      ),
      'prod',
      (m) => logged.push(m),
    );
    expect(await cache.get('db')).toBeUndefined();
    expect(logged).toEqual([
      'strata: cluster prod: the stored rendering of pack db is unreadable, rendering it again: rendering of pack db does not decrypt',
    ]);
  });

  it('passes on the errors that may pass later, for the runner to retry', async () => {
    const unavailable = new StoreError(StoreErrorCode.DatabaseUnavailable, 'cannot open the database');
    const cache = storedRenderCache(
      storeWith(() => Promise.reject(unavailable)),
      'prod',
      () => undefined,
    );
    await expect(cache.get('db')).rejects.toBe(unavailable);
  });
});
