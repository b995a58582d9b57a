import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiError, APP_CONFIG, AppConfig } from '@app/common';
import { InboundWebhookError, InboundWebhookRequest, PaymentProvider, ProviderError } from '@app/payments';
import { PaymentRepository, WebhookRepository } from '@app/persistence';
import { PaymentLifecycleService } from '@app/lifecycle';
import { ProviderRegistry } from '@app/providers';
import { REDIS } from '../health/redis.provider';
import { ReadCoalescer } from './read-coalescer';

type SignedEvidence = { succeeded: boolean; amount: number | null };

export interface InboundResult {
  received: true;
  outcome: 'applied' | 'duplicate' | 'unknown_payment' | 'ignored';
}

export interface InboundDelivery extends InboundWebhookRequest {
  /** The sender's address (Fastify's request.ip), for the per-source limit on unauthenticated notifications. */
  sourceAddress: string;
}

/** Rows of notifications for payments we do not have are kept this long, then pruned (at most hourly per instance). */
const UNKNOWN_ROW_RETENTION = '1 day';
const PRUNE_EVERY_MS = 60 * 60_000;

/**
 * One inbound route for every provider. The provider's handler verifies the notification and names what it points
 * at; the gateway never takes a status from a webhook body. It finds the payment, re-reads it from the provider,
 * and applies what the provider says through the same path as every other change, so duplicates change nothing and
 * emit nothing twice.
 *
 * Unauthenticated notifications (the provider does not sign them) cost nothing the sender can multiply: they are
 * limited per source address across instances, an unknown id is answered without a provider call and leaves no
 * row, and the provider reads they cause are coalesced per payment (one per INBOUND_WEBHOOK_READ_INTERVAL_MS,
 * single-flight).
 */
@Injectable()
export class InboundWebhooksService {
  private readonly logger = new Logger(InboundWebhooksService.name);
  private readonly reads: ReadCoalescer;
  private lastPrune = 0;
  private lastLimiterWarning = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly providers: ProviderRegistry,
    private readonly payments: PaymentRepository,
    private readonly webhooks: WebhookRepository,
    private readonly lifecycle: PaymentLifecycleService,
    @Inject(REDIS) private readonly redis: Redis,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.reads = new ReadCoalescer(config.unauthenticatedWebhooks.readIntervalMs);
  }

  async receive(providerName: string, delivery: InboundDelivery): Promise<InboundResult> {
    const provider = this.providers.has(providerName) ? this.providers.get(providerName) : null;
    // The same answer as any unknown route: which providers exist is not for an unauthenticated caller to learn.
    if (!provider?.inbound) throw new ApiError(404, 'not_found', 'route_not_found', 'No such route');
    const handler = provider.inbound;
    if (!handler.authenticated) await this.limitSource(provider.name, delivery.sourceAddress);

    let hint;
    try {
      hint = handler.parse(delivery);
    } catch (error) {
      if (!(error instanceof InboundWebhookError)) throw error;
      if (error.reason === 'invalid_signature') throw new ApiError(401, 'authentication', 'invalid_signature', error.message);
      const details = error.field ? [{ field: error.field.name, message: error.field.problem }] : undefined;
      throw ApiError.invalid(error.message, details, 'invalid_webhook');
    }
    if (hint.action === 'ignore') return { received: true, outcome: 'ignored' };
    // Only a verified signature makes a notification evidence; an unsigned one stays a hint.
    return this.refresh(provider, hint.providerId, hint.dedupeKey, handler.authenticated ? hint.evidence : undefined);
  }

  private async refresh(provider: PaymentProvider, providerPaymentId: string, dedupeKey: string, evidence?: SignedEvidence): Promise<InboundResult> {
    const name = provider.name;
    const authenticated = provider.inbound!.authenticated;
    if (await this.webhooks.wasInboundSeen(name, dedupeKey)) return { received: true, outcome: 'duplicate' };
    const payment = await this.payments.findByProviderId(name, providerPaymentId);
    if (!payment) {
      // Answered 200 so the provider stops retrying: a payment we never created will not appear later. An
      // unauthenticated sender could invent ids without end, so those leave no row (and old ones are pruned).
      this.logger.warn(`${name} webhook for unknown payment ${providerPaymentId.slice(0, 64)}`);
      if (authenticated) await this.webhooks.recordInbound(name, dedupeKey, null, 'unknown_payment');
      else await this.pruneUnknownRows();
      return { received: true, outcome: 'unknown_payment' };
    }
    try {
      const read = () => this.lifecycle.refreshPayment(payment.id, evidence).then(() => undefined);
      const slotted = async () => {
        await this.readSlot(name, payment.id);
        await read();
      };
      await (authenticated ? read() : this.reads.run(`${name}:${payment.id}`, slotted));
    } catch (error) {
      // Not recorded as seen: the provider's retry, or reconciliation, will try again.
      const reason = error instanceof ProviderError ? `${error.kind}: ${error.message}` : (error as Error).message;
      this.logger.warn(`${name} webhook for ${payment.id}: could not confirm with the provider (${reason})`);
      throw new ApiError(503, 'provider_unavailable', 'confirmation_failed', 'Could not confirm the notification with the provider; retry later');
    }
    await this.webhooks.recordInbound(name, dedupeKey, payment.id, 'applied');
    return { received: true, outcome: 'applied' };
  }

  /**
   * Across instances: the payment's read slot is a Redis key living one interval. An instance that finds it taken
   * (another read this payment less than an interval ago) waits out the rest, so all instances together read a
   * payment at most once per interval. Without Redis the per-instance coalescing alone holds.
   */
  private async readSlot(provider: string, paymentId: string): Promise<void> {
    const interval = this.config.unauthenticatedWebhooks.readIntervalMs;
    if (interval === 0) return;
    const key = `{${this.config.queuePrefix}}:inbound-read:${provider}:${paymentId}`;
    try {
      // Bounded: a few intervals at most, then the read goes ahead rather than leave the notification unanswered.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        if ((await this.redis.set(key, '1', 'PX', interval, 'NX')) === 'OK') return;
        const rest = await this.redis.pttl(key);
        await new Promise((resolve) => setTimeout(resolve, Math.max(rest, 10)));
      }
    } catch (error) {
      if (Date.now() - this.lastLimiterWarning > 10_000) {
        this.lastLimiterWarning = Date.now();
        this.logger.warn(`inbound read slot unavailable, reading anyway: ${(error as Error).message}`);
      }
    }
  }

  /** A fixed one-second window per provider and source address, counted in Redis so every instance shares it. */
  private async limitSource(provider: string, source: string): Promise<void> {
    const limit = this.config.unauthenticatedWebhooks.perSourcePerSecond;
    if (limit === 0) return;
    const key = `{${this.config.queuePrefix}}:inbound-limit:${provider}:${source}:${Math.floor(Date.now() / 1000)}`;
    let count: number;
    try {
      const [[, incremented]] = (await this.redis.multi().incr(key).expire(key, 2).exec()) as [[Error | null, number]];
      count = incremented;
    } catch (error) {
      // Without Redis the notification still goes through: the per-payment coalescing bounds the provider reads.
      if (Date.now() - this.lastLimiterWarning > 10_000) {
        this.lastLimiterWarning = Date.now();
        this.logger.warn(`inbound webhook limiter unavailable, letting notifications through: ${(error as Error).message}`);
      }
      return;
    }
    if (count > limit) {
      throw new ApiError(429, 'rate_limited', 'rate_limited', `More than ${limit} notifications per second from this address`, undefined, {
        'Retry-After': '1',
      });
    }
  }

  /** Awaited (one indexed DELETE, at most hourly) so the answer is never ahead of the table. */
  private async pruneUnknownRows(): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    const unauthenticated = this.providers.all().filter((p) => p.inbound && !p.inbound.authenticated).map((p) => p.name);
    await this.dataSource
      .query(
        `DELETE FROM inbound_webhooks WHERE outcome = 'unknown_payment' AND provider = ANY($1) AND received_at < now() - $2::interval`,
        [unauthenticated, UNKNOWN_ROW_RETENTION],
      )
      .catch((error: Error) => this.logger.warn(`pruning inbound webhook rows failed: ${error.message}`));
  }
}
