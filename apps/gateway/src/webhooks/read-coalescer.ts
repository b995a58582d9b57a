/**
 * At most one read per key per interval, single-flight. A caller arriving while a read is in flight, or within the
 * interval after one started, joins the one trailing read that starts when the interval has passed: it sees a read
 * that began after it arrived (so a change the provider made just before the notification is not missed), and any
 * number of callers in that window cost one read.
 */
export class ReadCoalescer {
  private readonly keys = new Map<string, { startedAt: number; inflight: Promise<void> | null; trailing: Promise<void> | null }>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  run(key: string, read: () => Promise<void>): Promise<void> {
    const state = this.keys.get(key);
    if (state?.trailing) return state.trailing;
    const wait = state ? state.startedAt + this.intervalMs - this.now() : 0;
    if (!state || (!state.inflight && wait <= 0)) return this.start(key, read);
    const after = state.inflight ?? Promise.resolve();
    const trailing = after
      .catch(() => undefined)
      .then(() => delay(state.startedAt + this.intervalMs - this.now()))
      .then(() => {
        if (this.keys.get(key)?.trailing === trailing) this.keys.get(key)!.trailing = null;
        return this.start(key, read);
      });
    state.trailing = trailing;
    return trailing;
  }

  /** Keys still tracked (for tests and the forgetting below). */
  get size(): number {
    return this.keys.size;
  }

  private start(key: string, read: () => Promise<void>): Promise<void> {
    const state = this.keys.get(key) ?? { startedAt: 0, inflight: null, trailing: null };
    state.startedAt = this.now();
    const inflight = read().finally(() => {
      if (state.inflight === inflight) state.inflight = null;
      // Forget the key once its interval has passed with nothing waiting, so the map holds only recent payments.
      const forget = setTimeout(() => {
        const current = this.keys.get(key);
        if (current === state && !current.inflight && !current.trailing && this.now() - current.startedAt >= this.intervalMs) {
          this.keys.delete(key);
        }
      }, this.intervalMs);
      forget.unref();
    });
    state.inflight = inflight;
    this.keys.set(key, state);
    return inflight;
  }
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
