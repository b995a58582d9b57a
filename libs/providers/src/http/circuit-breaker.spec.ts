import { CircuitBreaker } from './circuit-breaker';
import { ProviderTelemetry } from './provider-telemetry';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () => new CircuitBreaker({ failureThreshold: 3, openMs: 1000, now: () => now });

  beforeEach(() => {
    now = 0;
  });

  it('opens after the threshold of consecutive failures and refuses calls while open', () => {
    const b = breaker();
    b.failure();
    b.failure();
    expect(b.current).toBe('closed');
    b.failure();
    expect(b.current).toBe('open');
    expect(b.tryAcquire()).toBe(false);
  });

  it('a success in between resets the count', () => {
    const b = breaker();
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.current).toBe('closed');
  });

  it('lets one trial call through after openMs, closing on success and reopening on failure', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.failure();
    now = 1000;
    expect(b.current).toBe('half_open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // only one trial at a time
    b.failure();
    expect(b.current).toBe('open');
    now = 2000;
    expect(b.tryAcquire()).toBe(true);
    b.success();
    expect(b.current).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
  });

  it('reports state changes', () => {
    const b = breaker();
    const seen: string[] = [];
    b.onStateChange((state) => seen.push(state));
    for (let i = 0; i < 3; i++) b.failure();
    now = 1500;
    b.tryAcquire();
    b.success();
    expect(seen).toEqual(['open', 'half_open', 'closed']);
  });
});

describe('ProviderTelemetry', () => {
  it('counts only provider-health failures in the error rate and the breaker', () => {
    const t = new ProviderTelemetry('alpha', { failureThreshold: 2, openMs: 60_000 });
    t.record('getPayment', 'not_found', 10);
    t.record('getPayment', 'rejected', 10);
    expect(t.health().circuit).toBe('closed');
    t.record('createPayment', 'timeout', 30);
    t.record('createPayment', 'server', 20);
    const health = t.health();
    expect(health.circuit).toBe('open');
    expect(health.recent).toEqual({ calls: 4, errorRate: 0.5, p50Ms: 20, p95Ms: 30 });
  });
});
