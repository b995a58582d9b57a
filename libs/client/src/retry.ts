import type { HttpMethod } from './routes';

/** What one attempt ended with, as far as retrying is concerned. */
export interface AttemptOutcome {
  /** HTTP status, or 0 when there was no answer (network error, timeout). */
  status: number;
  /** `error.code` of the gateway's envelope, when there was one. */
  code?: string;
  /** The answer was a stored one replayed for the Idempotency-Key (`Idempotent-Replayed: true`). */
  replayed?: boolean;
  /** The caller aborted: never retried. */
  aborted?: boolean;
}

/**
 * Whether another attempt is safe and may help. Every POST carries an Idempotency-Key that stays the same across
 * attempts, so the gateway runs it at most once.
 * - No answer (network error, timeout): every method. POST is safe by its key; GET reads; PATCH sets the same fields
 *   again; DELETE cancels or deletes the same thing again (cancelling a cancelled payment answers 200 with it;
 *   deleting an endpoint or revoking a key whose first attempt took effect unseen answers 404).
 * - 429: every method: the request was turned away before it ran. `Retry-After` is honoured.
 * - POST: 409 `idempotency_in_progress` (the first attempt is still running: wait for its answer) and any 5xx.
 *   A 5xx the gateway stored for the key (502/504: the provider may have acted) comes back replayed, which is final.
 * - GET: any 5xx.
 * - PATCH, DELETE: 502, 503, 504 only (the provider or a dependency failed; a 500 is a bug that would repeat).
 * Never: any other 4xx, an answer replayed for the Idempotency-Key, a call the caller aborted.
 */
export function isRetryable(method: HttpMethod, outcome: AttemptOutcome): boolean {
  if (outcome.aborted || outcome.replayed) return false;
  const { status } = outcome;
  if (status === 0 || status === 429) return true;
  switch (method) {
    case 'POST':
      return (status === 409 && outcome.code === 'idempotency_in_progress') || status >= 500;
    case 'GET':
      return status >= 500;
    case 'PATCH':
    case 'DELETE':
      return status === 502 || status === 503 || status === 504;
  }
}

export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  random?: () => number;
}

/**
 * Delay before retry number `retry` (1 for the first retry): exponential (base · 2^(retry-1), capped) with "equal
 * jitter" (half fixed, half random), so many clients failing together do not come back together. A `Retry-After`
 * (429, 503) is a floor: that long plus up to one base delay of jitter.
 */
export function backoffDelay(retry: number, options: BackoffOptions, retryAfterMs?: number | null): number {
  const random = options.random ?? Math.random;
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  if (retryAfterMs !== undefined && retryAfterMs !== null) return Math.max(retryAfterMs + random() * options.baseDelayMs, jittered);
  return jittered;
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
