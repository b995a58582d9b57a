import type { FastifyBaseLogger } from 'fastify';

export interface WebhookDelivery {
  url: string;
  attempt: number;
  /** The receiver's HTTP status, or null when it could not be reached in time. */
  status: number | null;
  error?: string;
  at: string;
}

/** FlexiQash: "In case of a request failure, FlexiQash will execute webhook request three times". */
const ATTEMPTS = 4;
const ATTEMPT_TIMEOUT_MS = 5000;
const DELIVERY_LOG_LIMIT = 100;

/**
 * Fire-and-forget webhook delivery with fixed-delay retries, so a checkout answers at once
 * whatever the receiver does.
 */
export class WebhookSender {
  private stop = new AbortController();
  private readonly timers = new Set<NodeJS.Timeout>();
  private log: WebhookDelivery[] = [];

  constructor(
    private readonly retryDelayMs: number,
    private readonly logger: FastifyBaseLogger,
  ) {}

  send(url: string, body: Buffer, headers: Record<string, string> = {}): void {
    void this.attempt(url, body, headers, 1, this.stop.signal);
  }

  deliveries(): WebhookDelivery[] {
    return [...this.log];
  }

  /** Drops queued retries and aborts requests in flight (state reset, shutdown). */
  cancelAll(): void {
    this.stop.abort();
    this.stop = new AbortController();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  reset(): void {
    this.cancelAll();
    this.log = [];
  }

  private async attempt(url: string, body: Buffer, headers: Record<string, string>, attempt: number, stop: AbortSignal): Promise<void> {
    let delivered = false;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        signal: AbortSignal.any([stop, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
      });
      // Reading the body hands the connection back to the pool.
      await response.arrayBuffer().catch(() => undefined);
      delivered = response.ok;
      this.remember({ url, attempt, status: response.status, at: new Date().toISOString() });
    } catch (error) {
      if (stop.aborted) return;
      this.remember({ url, attempt, status: null, error: error instanceof Error ? error.message : String(error), at: new Date().toISOString() });
    }
    if (delivered || attempt >= ATTEMPTS || stop.aborted) return;
    this.logger.warn({ url, attempt }, 'webhook delivery failed; will retry');
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(url, body, headers, attempt + 1, stop);
    }, this.retryDelayMs);
    this.timers.add(timer);
  }

  private remember(delivery: WebhookDelivery): void {
    this.log.push(delivery);
    if (this.log.length > DELIVERY_LOG_LIMIT) this.log.shift();
  }
}
