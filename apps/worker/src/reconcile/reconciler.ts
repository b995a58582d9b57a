import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import { PaymentRepository, PayoutRepository } from '@app/persistence';
import { PaymentLifecycleService, PayoutLifecycleService } from '@app/lifecycle';
import { PeriodicTask } from '../periodic-task';
import { RedisLock } from '../redis-lock';

const BATCH = 100;
const LOCK = 'reconcile';

/**
 * Re-reads pending payments and payouts from their providers when no notification moved them for a while, and
 * expires payments past their expiry. Changes go through the lifecycle core (@app/lifecycle), so they emit the same events as
 * provider webhooks. A Redis lease keeps two workers off the same batch; should both run anyway (lease expired,
 * Redis down), status changes are row-locked and idempotent, so nothing happens twice.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(Reconciler.name);
  private readonly task = new PeriodicTask(this.logger, 'reconciliation', () => this.tick(), () => this.config.worker.reconcileIntervalMs);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly payments: PaymentRepository,
    private readonly payouts: PayoutRepository,
    private readonly paymentLifecycle: PaymentLifecycleService,
    private readonly payoutLifecycle: PayoutLifecycleService,
    private readonly lock: RedisLock,
  ) {}

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
  }

  private async tick(): Promise<void> {
    const ttlMs = Math.max(60_000, 2 * this.config.worker.reconcileIntervalMs);
    let token: string | null;
    try {
      token = await this.lock.acquire(LOCK, ttlMs);
      if (token === null) return; // another worker is on it
    } catch (error) {
      // Without Redis there is no lease, but reconciliation needs only Postgres and the providers: run anyway.
      this.logger.warn(`reconciling without a lease (${(error as Error).message})`);
      token = null;
    }
    try {
      await this.reconcile(new Date());
    } finally {
      if (token) await this.lock.release(LOCK, token);
    }
  }

  async reconcile(now: Date): Promise<{ payments: number; payouts: number }> {
    const cutoff = new Date(now.getTime() - this.config.worker.reconcileAfterMs);
    let payments = 0;
    let payouts = 0;
    for (const payment of await this.payments.findStale(cutoff, cutoff, BATCH)) {
      if (this.task.stopping) break;
      try {
        if (payment.expiresAt && payment.expiresAt <= now) await this.paymentLifecycle.expirePayment(payment.id, now);
        else await this.paymentLifecycle.refreshPayment(payment.id);
        payments++;
      } catch (error) {
        this.logger.warn(`payment ${payment.id}: could not reconcile (${(error as Error).message})`);
      } finally {
        // Also after a failure: the oldest-checked come first, so a payment its provider keeps failing on (or one
        // without a provider id) would otherwise head every batch and, a hundred of them, starve the rest.
        await this.payments.markChecked(payment.id).catch(() => undefined);
      }
    }
    for (const payout of await this.payouts.findStale(cutoff, cutoff, BATCH)) {
      if (this.task.stopping) break;
      try {
        await this.payoutLifecycle.refreshPayout(payout.id);
        payouts++;
      } catch (error) {
        this.logger.warn(`payout ${payout.id}: could not reconcile (${(error as Error).message})`);
      } finally {
        await this.payouts.markChecked(payout.id).catch(() => undefined);
      }
    }
    if (payments || payouts) this.logger.log(`reconciled ${payments} payments and ${payouts} payouts`);
    return { payments, payouts };
  }
}
