import type { Redis } from 'ioredis';

/** The most tokens one draw takes from a key's shared budget: limit / 50 (2 %), between 1 and 100. */
export function maxBatch(limit: number): number {
  return Math.max(1, Math.min(100, Math.floor(limit / 50)));
}

interface Window {
  /** Tokens this instance drew from Redis for this second and has not spent yet. */
  tokens: number;
  /** The shared budget for this second is spent: nothing more to draw until the next second. */
  exhausted: boolean;
  /** The size of the next draw: 1 at the start of each second, doubled after each draw up to maxBatch. */
  next: number;
  pending: Promise<void> | null;
}

/**
 * A fixed one-second window per API key whose budget (`limit` requests) lives in Redis, so every gateway instance
 * shares it; each instance draws tokens from it in batches and spends them locally, so most requests need no Redis
 * round trip. A key's first draw in a second takes 1 token, each next one twice as many, up to maxBatch(limit).
 *
 * The bound: a draw is granted only what is left of the budget, so all instances together never admit more than
 * `limit` requests of one key in one second. Tokens one instance drew and has not spent are not available to the
 * others: a request is refused while at most (instances − 1) × (maxBatch − 1) of that second's budget sits unspent
 * at other instances (with the default limit of 1000, 19 per instance). Below a limit of 100 a draw is one token and
 * the count is exact, as with one INCR per request.
 */
export class SharedRateLimiter {
  private readonly batch: number;
  private second = 0;
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly limit: number,
    batch = maxBatch(limit),
  ) {
    this.batch = Math.max(1, Math.floor(batch));
  }

  /**
   * true when the request may go through, false when the key is over its limit for this second; a promise of
   * either when tokens must be drawn first. The promise rejects when Redis does not answer.
   */
  take(keyId: string): boolean | Promise<boolean> {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.second) {
      // A new second: every window of the last one is over.
      this.second = second;
      this.windows.clear();
    }
    let window = this.windows.get(keyId);
    if (!window) {
      window = { tokens: 0, exhausted: false, next: 1, pending: null };
      this.windows.set(keyId, window);
    }
    if (window.tokens > 0) {
      window.tokens--;
      return true;
    }
    if (window.exhausted) return false;
    return this.drawThenTake(keyId, second, window);
  }

  private async drawThenTake(keyId: string, second: number, window: Window): Promise<boolean> {
    // Requests that arrive while a draw is under way wait for it rather than starting their own.
    if (!window.pending) {
      window.pending = this.draw(keyId, second, window).finally(() => {
        window.pending = null;
      });
    }
    await window.pending;
    return this.take(keyId);
  }

  private async draw(keyId: string, second: number, window: Window): Promise<void> {
    const count = Math.min(window.next, this.batch);
    window.next = Math.min(this.batch, window.next * 2);
    const key = `${this.keyPrefix}:${keyId}:${second}`;
    const [[error, total]] = (await this.redis.multi().incrby(key, count).expire(key, 2).exec()) as [[Error | null, number]];
    if (error) throw error;
    const before = total - count;
    const granted = Math.max(0, Math.min(count, this.limit - before));
    // The window of a second that has passed meanwhile is gone: what was drawn for it is simply not used.
    window.tokens += granted;
    if (total >= this.limit) window.exhausted = true;
  }
}
