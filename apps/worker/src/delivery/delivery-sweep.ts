import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import { DeliveryRelay } from '@app/outbox';
import { PeriodicTask } from '../periodic-task';
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
  private readonly task = new PeriodicTask(this.logger, 'sweep', () => this.sweep(), () => this.config.worker.sweepIntervalMs);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    private readonly relay: DeliveryRelay,
  ) {}

  onApplicationBootstrap(): void {
    this.task.start(0);
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
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
    for (let batch = 0; batch < MAX_BATCHES_PER_TICK && !this.task.stopping; batch++) {
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
