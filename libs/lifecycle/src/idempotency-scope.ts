import { AsyncLocalStorage } from 'node:async_hooks';

/** The Idempotency-Key a request runs under, so the create it makes is recorded against that key. */
export interface IdempotencyScope {
  ownerId: string;
  key: string;
}

const storage = new AsyncLocalStorage<IdempotencyScope>();

/** Runs `work` with this key as the one any resource created inside it is recorded under. */
export function runUnderIdempotencyKey<T>(scope: IdempotencyScope, work: () => Promise<T>): Promise<T> {
  return storage.run(scope, work);
}

export function currentIdempotencyKey(): IdempotencyScope | undefined {
  return storage.getStore();
}
