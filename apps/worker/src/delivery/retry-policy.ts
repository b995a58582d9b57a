/**
 * When a failed delivery is tried again. Pure functions: the processor computes the delay once, stores it as the
 * delivery's `next_attempt_at` and hands the same number to BullMQ's backoff, so Postgres and Redis agree.
 */

/** ±20 %: deliveries that failed together (an endpoint outage) come back spread out instead of all at once. */
export const RETRY_JITTER = 0.2;
export const RETRY_AFTER_MIN_MS = 1_000;
export const RETRY_AFTER_MAX_MS = 3_600_000;

/** The first attempt plus one after each delay of the schedule: the attempt after the last delay is the final one. */
export function maxAttempts(scheduleMs: readonly number[]): number {
  return scheduleMs.length + 1;
}

/**
 * The wait after failed attempt number `attempt` (1-based, counted in Postgres): `schedule[attempt - 1]` ± 20 %.
 * A Retry-After the receiver sent is a floor, never a shortcut: a rate-limited receiver asking for 1 s does not
 * burn through the schedule in seconds.
 */
export function retryDelayMs(scheduleMs: readonly number[], attempt: number, retryAfterMs: number | null, random = Math.random): number {
  const index = Math.min(Math.max(attempt, 1), scheduleMs.length) - 1;
  const base = scheduleMs[index];
  const jittered = Math.round(base * (1 + RETRY_JITTER * (2 * random() - 1)));
  return retryAfterMs === null ? jittered : Math.max(jittered, retryAfterMs);
}

/** Retry-After as delay-seconds or an HTTP date, clamped to [1 s, 1 h]; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return null;
  let ms: number;
  if (/^\d+$/.test(raw)) ms = Number(raw) * 1000;
  else {
    const at = Date.parse(raw);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.min(Math.max(ms, RETRY_AFTER_MIN_MS), RETRY_AFTER_MAX_MS);
}

/** Statuses whose Retry-After we honour (RFC 9110 defines it for 503 and 3xx; 429 by RFC 6585). */
export function honoursRetryAfter(status: number): boolean {
  return status === 429 || status === 503;
}
