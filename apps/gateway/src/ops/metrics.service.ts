import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { DeliveryRelay } from '@app/outbox';
import { ProviderRegistry } from '@app/providers';

const CIRCUIT_VALUE = { closed: 0, half_open: 1, open: 2 } as const;
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
/** Seconds; provider calls and requests range from a few milliseconds to PROVIDER_TIMEOUT_MS (10 s by default). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The gateway's Prometheus metrics, in a registry of its own. Request and provider-call metrics are counted as
 * they happen; queue, delivery, outbox and payment figures are read when Prometheus scrapes (collect callbacks),
 * and a source that does not answer (Redis or Postgres down) leaves its series out instead of failing the scrape.
 * Postgres-derived figures are the same on every instance: aggregate them with max(), not sum().
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly providerDuration: Histogram<'provider' | 'operation' | 'outcome'>;
  private readonly providerCalls: Counter<'provider' | 'operation' | 'outcome'>;

  constructor(
    private readonly providers: ProviderRegistry,
    private readonly relay: DeliveryRelay,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'paygw_http_request_duration_seconds',
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.providerDuration = new Histogram({
      name: 'paygw_provider_call_duration_seconds',
      help: 'Provider API calls by provider, operation and outcome',
      labelNames: ['provider', 'operation', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.providerCalls = new Counter({
      name: 'paygw_provider_calls_total',
      help: 'Provider API calls by provider, operation and outcome (ok, unreachable, timeout, server, circuit_open, …)',
      labelNames: ['provider', 'operation', 'outcome'],
      registers,
    });
    const providerList = this.providers;
    new Gauge({
      name: 'paygw_provider_circuit_state',
      help: 'Circuit breaker per provider: 0 closed, 1 half_open, 2 open',
      labelNames: ['provider'],
      registers,
      collect() {
        for (const provider of providerList.all()) this.set({ provider: provider.name }, CIRCUIT_VALUE[provider.health().circuit]);
      },
    });
    const deliveries = this.relay;
    new Gauge({
      name: 'paygw_queue_jobs',
      help: 'Outbound webhook delivery jobs in the queue by state (absent while Redis does not answer)',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        const counts = await withTimeout(deliveries.queue.getJobCounts(...QUEUE_STATES)).catch(() => null);
        if (!counts) return;
        for (const state of QUEUE_STATES) this.set({ queue: deliveries.queue.name, state }, counts[state] ?? 0);
      },
    });
    const query = (sql: string) => withTimeout(this.dataSource.query(sql) as Promise<Array<Record<string, string>>>).catch(() => null);
    new Gauge({
      name: 'paygw_webhook_deliveries',
      help: 'Outbound webhook deliveries by status (pending, succeeded, failed = dead letters)',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        const rows = await query('SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status');
        for (const row of rows ?? []) this.set({ status: row.status }, Number(row.n));
      },
    });
    new Gauge({
      name: 'paygw_outbox_lag_seconds',
      help: 'How long the most overdue pending delivery has been due (next_attempt_at <= now); 0 when none',
      registers,
      async collect() {
        this.reset();
        const rows = await query(
          `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(next_attempt_at)), 0) AS lag
             FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()`,
        );
        if (rows?.[0]) this.set(Math.max(0, Number(rows[0].lag)));
      },
    });
    new Gauge({
      name: 'paygw_payments_total',
      help: 'Payments recorded, by provider',
      labelNames: ['provider'],
      registers,
      async collect() {
        this.reset();
        const rows = await query('SELECT provider, count(*) AS n FROM payments GROUP BY provider');
        for (const row of rows ?? []) this.set({ provider: row.provider }, Number(row.n));
      },
    });
  }

  onModuleInit(): void {
    for (const provider of this.providers.all()) {
      provider.onCall?.(({ provider: name, operation, outcome, durationMs }) => {
        const labels = { provider: name, operation, outcome };
        this.providerDuration.observe(labels, durationMs / 1000);
        this.providerCalls.inc(labels);
      });
    }
  }

  /** `route` is the route template (`/v1/payments/:id`), never the raw URL, so ids do not explode the series. */
  observeHttp(method: string, route: string | undefined, status: number, elapsedMs: number): void {
    this.httpDuration.observe({ method, route: route ?? 'unmatched', status: String(status) }, elapsedMs / 1000);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

/** A scrape must not hang on a dependency that does not answer. */
function withTimeout<T>(promise: Promise<T>, ms = 2000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}
