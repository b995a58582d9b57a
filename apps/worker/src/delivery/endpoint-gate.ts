/**
 * Per-endpoint admission for deliveries in this worker process (Convoy-style isolation): at most `concurrency`
 * sends to one endpoint at once, and a circuit that, after `threshold` failed attempts in a row, makes that
 * endpoint's deliveries wait `openMs` instead of holding worker slots; then one trial send decides whether it
 * closes again. A delivery that may not go now is told how long to wait; it is put back in the queue for that long
 * without counting as an attempt.
 *
 * A delivery to an endpoint that is merely at its cap while answering fast (average send time at most
 * FAST_SEND_MS, and a send finished within that time: an endpoint that stopped answering does not qualify) waits
 * here for the next free slot instead (`admit`), at most `maxWaiting` of them per endpoint (default twice
 * `concurrency`; the worker allows all its slots, so a burst to one fast endpoint never goes back to the queue)
 * and for at most LOCAL_WAIT_MS: putting it back in the queue would cost more than the wait, and under a burst to
 * a few fast endpoints such round trips through Redis came to most of the worker's work.
 *
 * An endpoint that has answered, and answers fast, may have up to `fastConcurrency` sends at once (the worker sets
 * it to half its own concurrency): such sends free their slots within milliseconds, and holding a burst to such an
 * endpoint at `concurrency` sent most of it through the queue's delayed set and back (17,000 round trips through
 * Redis for 30,000 deliveries in the fan-out bench). An endpoint that has not answered yet gets `concurrency`, and
 * once its sends stop finishing within FAST_SEND_MS it is back at `concurrency` for new sends: an endpoint that
 * hangs from the start holds `concurrency` slots, one that starts hanging later at most `fastConcurrency`, once.
 *
 * Waits are spread: each refused delivery reserves the next estimated free slot of its endpoint (a virtual clock
 * advancing by the endpoint's average send time divided by its concurrency), so a backlog of thousands behind a
 * slow endpoint comes back paced, not all at once every second.
 */
export interface EndpointGateOptions {
  concurrency: number;
  /** The cap of an endpoint answering fast (see above); at least `concurrency`, which is the default. */
  fastConcurrency?: number;
  /** How many deliveries may wait in process for one fast endpoint at its cap (default twice `concurrency`). */
  maxWaiting?: number;
  threshold: number;
  openMs: number;
  /** The longest single wait handed out (the virtual clock is not allowed to run further ahead than this). */
  maxWaitMs: number;
}

export type Admission = { go: true } | { go: false; waitMs: number; reason: 'busy' | 'circuit_open' };

interface EndpointState {
  inFlight: number;
  consecutiveFailures: number;
  /** While now < openUntil the circuit is open; after it, half-open until a trial succeeds. */
  openUntil: number;
  halfOpen: boolean;
  /** Exponentially weighted average send duration, ms. */
  avgMs: number;
  /** The virtual clock of reserved slots for deliveries told to wait. */
  nextSlotAt: number;
  /** When a send to it last finished (at first: when it was first seen). */
  lastFinishAt: number;
  /** Whether a send to it has finished since this process last forgot it: only then may it use `fastConcurrency`. */
  answered: boolean;
}

/** Waits never shorter than this: a job put back must not spin on Redis. */
const MIN_WAIT_MS = 5;
/** An endpoint answering this fast (average, ms) is waited for in process when it is at its cap. */
const FAST_SEND_MS = 100;
/** The longest a delivery waits in process for a slot before it is put back in the queue after all. */
const LOCAL_WAIT_MS = 1_000;
/** The assumed send time before an endpoint's first answer: low, so a fast endpoint's first burst is not held back. */
const INITIAL_AVG_MS = 20;
/** How often the states of idle endpoints are looked over and forgotten. */
const FORGET_EVERY_MS = 1_000;

export class EndpointGate {
  private readonly endpoints = new Map<string, EndpointState>();
  /** Deliveries waiting in process for a slot of a fast endpoint, first come first served. */
  private readonly waiting = new Map<string, Array<(handedOver: boolean) => void>>();
  private lastForgetAt = 0;

  constructor(
    private readonly options: EndpointGateOptions,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  private state(endpointId: string): EndpointState {
    let state = this.endpoints.get(endpointId);
    if (!state) {
      state = { inFlight: 0, consecutiveFailures: 0, openUntil: 0, halfOpen: false, avgMs: INITIAL_AVG_MS, nextSlotAt: 0, lastFinishAt: this.now(), answered: false };
      this.endpoints.set(endpointId, state);
    }
    return state;
  }

  /** Whether a send to this endpoint may start now; when it may, the caller must call `finish` once it is done. */
  enter(endpointId: string): Admission {
    const state = this.state(endpointId);
    const now = this.now();
    if (now < state.openUntil) {
      // Spread the returns over a second past the opening so they do not all land on the trial at once.
      return { go: false, waitMs: state.openUntil - now + Math.round(this.random() * 1000), reason: 'circuit_open' };
    }
    const limit = this.cap(state, now);
    if (state.inFlight >= limit) return { go: false, waitMs: this.reserve(state, now, limit), reason: 'busy' };
    state.inFlight += 1;
    return { go: true };
  }

  /**
   * As `enter`, except that a delivery to a fast endpoint at its cap waits here (up to LOCAL_WAIT_MS) for a slot
   * another send frees, instead of being refused.
   */
  async admit(endpointId: string): Promise<Admission> {
    const state = this.state(endpointId);
    const queue = this.waiting.get(endpointId) ?? [];
    const now = this.now();
    const fastAndFull = this.isFast(state, now) && now >= state.openUntil && !state.halfOpen && state.inFlight >= this.cap(state, now);
    if (fastAndFull && queue.length < (this.options.maxWaiting ?? 2 * this.options.concurrency)) {
      this.waiting.set(endpointId, queue);
      const handedOver = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          const at = queue.indexOf(wake);
          if (at >= 0) queue.splice(at, 1);
          if (queue.length === 0 && this.waiting.get(endpointId) === queue) this.waiting.delete(endpointId);
          resolve(false);
        }, LOCAL_WAIT_MS);
        const wake = (given: boolean) => {
          clearTimeout(timer);
          resolve(given);
        };
        queue.push(wake);
      });
      if (handedOver) return { go: true };
    }
    return this.enter(endpointId);
  }

  /**
   * A slot is free: it goes to the first delivery waiting in process, if any (the in-flight count stays), unless the
   * circuit just opened, which sends every waiting delivery back to `enter` and its refusal.
   */
  private handOver(endpointId: string, state: EndpointState): boolean {
    const queue = this.waiting.get(endpointId);
    if (!queue || queue.length === 0) return false;
    if (this.now() < state.openUntil) {
      this.waiting.delete(endpointId);
      for (const wake of queue) wake(false);
      return false;
    }
    const wake = queue.shift()!;
    if (queue.length === 0) this.waiting.delete(endpointId);
    wake(true);
    return true;
  }

  /** How many sends the endpoint may have at once now: 1 on trial, `fastConcurrency` answered and fast, else `concurrency`. */
  private cap(state: EndpointState, now: number): number {
    if (state.halfOpen) return 1;
    if (state.answered && this.isFast(state, now)) return Math.max(this.options.concurrency, this.options.fastConcurrency ?? 0);
    return this.options.concurrency;
  }

  /** Answering fast: on average within FAST_SEND_MS, and a send finished within that time (it is not hanging). */
  private isFast(state: EndpointState, now: number): boolean {
    return state.avgMs <= FAST_SEND_MS && now - state.lastFinishAt <= FAST_SEND_MS;
  }

  /** Records a send's outcome: `ok` a 2xx; otherwise a failure that counts toward the circuit. */
  finish(endpointId: string, ok: boolean, durationMs: number): void {
    const state = this.state(endpointId);
    state.lastFinishAt = this.now();
    state.answered = true;
    state.avgMs = Math.round(state.avgMs * 0.8 + Math.max(1, durationMs) * 0.2);
    if (ok) {
      state.consecutiveFailures = 0;
      state.halfOpen = false;
      state.openUntil = 0;
    } else {
      state.consecutiveFailures += 1;
      if (state.halfOpen || state.consecutiveFailures >= this.options.threshold) {
        state.openUntil = this.now() + this.options.openMs;
        state.halfOpen = true;
      }
    }
    if (this.handOver(endpointId, state)) return;
    state.inFlight = Math.max(0, state.inFlight - 1);
    this.forgetIdle();
  }

  /** A send that never happened (claim refused, nothing to send): frees its place without judging the endpoint. */
  release(endpointId: string): void {
    const state = this.endpoints.get(endpointId);
    if (!state) return;
    if (this.handOver(endpointId, state)) return;
    state.inFlight = Math.max(0, state.inFlight - 1);
    this.forgetIdle();
  }

  /** How many endpoints the gate keeps a state for (bounded: see forgetIdle). */
  get tracked(): number {
    return this.endpoints.size;
  }

  /**
   * Forgets, at most once per FORGET_EVERY_MS, the endpoints whose state no longer changes an admission: nothing in
   * flight, no failure, no reserved slot ahead, and no send finished within FAST_SEND_MS (so not fast any more). An
   * endpoint whose sends merely all finished keeps its state until then: forgotten at once, a fast endpoint between
   * two bursts came back at `concurrency`, as if it had never answered, and paced traffic to it waited for slots.
   */
  private forgetIdle(): void {
    const now = this.now();
    if (now - this.lastForgetAt < FORGET_EVERY_MS) return;
    this.lastForgetAt = now;
    for (const [endpointId, state] of this.endpoints) {
      const idle = state.inFlight === 0 && state.consecutiveFailures === 0 && !state.halfOpen && state.nextSlotAt <= now;
      if (idle && now - state.lastFinishAt > FAST_SEND_MS && !this.waiting.has(endpointId)) this.endpoints.delete(endpointId);
    }
  }

  /** Circuit state of an endpoint, for logs and tests. */
  describe(endpointId: string): { inFlight: number; consecutiveFailures: number; open: boolean } {
    const state = this.endpoints.get(endpointId);
    return { inFlight: state?.inFlight ?? 0, consecutiveFailures: state?.consecutiveFailures ?? 0, open: !!state && this.now() < state.openUntil };
  }

  private reserve(state: EndpointState, now: number, limit: number): number {
    const spacing = Math.max(1, state.avgMs / limit);
    state.nextSlotAt = Math.min(Math.max(state.nextSlotAt, now) + spacing, now + this.options.maxWaitMs);
    return Math.max(MIN_WAIT_MS, Math.round(state.nextSlotAt - now));
  }
}
