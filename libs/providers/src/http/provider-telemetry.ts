import type { ProviderName } from '@app/payments';
import { CircuitBreaker, CircuitBreakerOptions, CircuitState } from './circuit-breaker';

export type CallOutcome = 'ok' | 'unreachable' | 'timeout' | 'auth' | 'not_found' | 'rejected' | 'server' | 'bad_response' | 'circuit_open';

export interface ProviderCall {
  provider: ProviderName;
  operation: string;
  outcome: CallOutcome;
  durationMs: number;
}

export interface ProviderHealth {
  circuit: CircuitState;
  /** Over the recent window: calls, the share that failed (provider's fault only), and latency percentiles. */
  recent: { calls: number; errorRate: number; p50Ms: number | null; p95Ms: number | null };
}

const WINDOW = 200;
/** Outcomes that say the provider is unwell; a 404 or a refused request says nothing about its health. */
const UNHEALTHY: ReadonlySet<CallOutcome> = new Set(['unreachable', 'timeout', 'server', 'circuit_open']);

/** Per provider: its circuit breaker and a window of recent calls, for failover, /admin/providers and metrics. */
export class ProviderTelemetry {
  readonly breaker: CircuitBreaker;
  private readonly recent: Array<{ ok: boolean; durationMs: number }> = [];
  private readonly listeners: Array<(call: ProviderCall) => void> = [];

  constructor(
    readonly provider: ProviderName,
    breaker: CircuitBreakerOptions,
  ) {
    this.breaker = new CircuitBreaker(breaker);
  }

  onCall(listener: (call: ProviderCall) => void): void {
    this.listeners.push(listener);
  }

  record(operation: string, outcome: CallOutcome, durationMs: number): void {
    if (outcome === 'ok') this.breaker.success();
    else if (UNHEALTHY.has(outcome) && outcome !== 'circuit_open') this.breaker.failure();
    else if (outcome !== 'circuit_open') this.breaker.neutral();
    if (outcome !== 'circuit_open') {
      this.recent.push({ ok: !UNHEALTHY.has(outcome), durationMs });
      if (this.recent.length > WINDOW) this.recent.shift();
    }
    for (const listener of this.listeners) listener({ provider: this.provider, operation, outcome, durationMs });
  }

  health(): ProviderHealth {
    const durations = this.recent.map((call) => call.durationMs).sort((a, b) => a - b);
    const pick = (q: number) => (durations.length ? durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] : null);
    const failed = this.recent.filter((call) => !call.ok).length;
    return {
      circuit: this.breaker.current,
      recent: {
        calls: this.recent.length,
        errorRate: this.recent.length ? Number((failed / this.recent.length).toFixed(4)) : 0,
        p50Ms: pick(0.5),
        p95Ms: pick(0.95),
      },
    };
  }
}
