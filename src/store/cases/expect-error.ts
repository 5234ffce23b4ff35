import { expect } from 'vitest';
import { StoreError, type StoreErrorCode } from '../errors.js';

/** Awaits `promise`, expecting a StoreError with `code`; returns it for further checks. */
export async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
  return error as StoreError;
}
