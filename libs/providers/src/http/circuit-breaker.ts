export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one trial call is let through. */
  openMs: number;
  now?: () => number;
}

/**
 * A consecutive-failure circuit breaker. Written here rather than taken from a library because the gateway needs
 * one behaviour only, and the candidates (cockatiel 4) are ESM-only and ask for Node 22.
 *
 * closed → (threshold failures in a row) → open → (openMs later, one trial call) → half_open →
 * success: closed; failure: open again. While open, calls are refused without touching the network, which is
 * what makes "circuit open" a certain non-execution the gateway may fail over on.
 */
export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private readonly now: () => number;
  private readonly listeners: Array<(state: CircuitState) => void> = [];

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get current(): CircuitState {
    if (this.state === 'open' && this.now() - this.openedAt >= this.options.openMs) return 'half_open';
    return this.state;
  }

  onStateChange(listener: (state: CircuitState) => void): void {
    this.listeners.push(listener);
  }

  /** Whether a call may go out now; a true answer in half-open state reserves the single trial call. */
  tryAcquire(): boolean {
    const state = this.current;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    this.set('half_open');
    return true;
  }

  success(): void {
    this.trialInFlight = false;
    this.failures = 0;
    this.set('closed');
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures += 1;
    if (this.state === 'half_open' || this.failures >= this.options.failureThreshold) {
      this.openedAt = this.now();
      this.set('open');
    }
  }

  /** A call that ended without telling anything about the provider's health (a 404, a refused body). */
  neutral(): void {
    if (this.state === 'half_open') this.success();
  }

  private set(state: CircuitState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}
