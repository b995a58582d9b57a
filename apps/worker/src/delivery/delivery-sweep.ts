import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import { DeliveryRelay } from '@app/outbox';
import { DeliveryRepository } from './delivery.repository';

const BATCH = 500;
/** Bounds one tick even if marking rows enqueued keeps failing (the same rows would come back every batch). */
const MAX_BATCHES_PER_TICK = 40;

/**
 * Postgres is the record of every delivery; the queue can lose jobs (Redis flushed, restarted empty, down when the
 * gateway committed). The sweep re-adds every pending delivery that was not handed to the queue recently. A job
 * whose id is still queued makes the add a no-op, so live jobs are never doubled, and two workers sweeping at
 * once only repeat each other's no-ops.
 */
@Injectable()
export class DeliverySweep implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliverySweep.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    private readonly relay: DeliveryRelay,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    // A chain of timeouts rather than an interval: a slow sweep never overlaps the next one.
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .catch((error: Error) => this.logger.warn(`sweep failed (${error.message}); trying again next tick`))
        .finally(() => {
          this.running = null;
          this.schedule(this.config.worker.sweepIntervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** Re-adds due deliveries in batches; returns how many were handed to the queue. */
  async sweep(): Promise<number> {
    // While the worker is behind, every pending delivery still has its job and re-adding them would only spend
    // Redis and Postgres on no-ops. The tick is skipped while the queue holds at least as many live jobs as there
    // are pending deliveries; a Redis that lost jobs holds fewer, so the sweep runs. (A job left over for a
    // delivery that is no longer pending can delay a sweep only until that job has run.)
    const pending = await this.deliveries.countPending();
    if (pending === 0) return 0;
    if ((await this.relay.liveJobCount()) >= pending) return 0;
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_TICK && !this.stopped; batch++) {
      const due = await this.deliveries.findUnqueued(this.config.worker.sweepGraceMs, BATCH);
      if (due.length === 0) break;
      const added = await this.relay.enqueue(due, { replaceFinished: true });
      total += added;
      // The relay logged why (Redis down); the next tick tries again.
      if (added < due.length || due.length < BATCH) break;
    }
    if (total > 0) this.logger.log(`handed ${total} pending deliveries to the queue (jobs still queued are kept as they are)`);
    return total;
  }
}
