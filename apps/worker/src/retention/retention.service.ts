import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import { PeriodicTask } from '../periodic-task';
import { RedisLock } from '../redis-lock';
import { RetentionCounts, RetentionRepository } from './retention.repository';

const LOCK = 'retention';
/** One pass stops after this many batches per table, so a huge backlog is worked off over several passes. */
const MAX_BATCHES_PER_TABLE = 200;

/**
 * Removes events (with their deliveries and attempts), attempts, inbound provider notifications and idempotency
 * keys once they are older than their RETENTION_* period, every RETENTION_INTERVAL, on one worker at a time.
 * Deletes go in batches of RETENTION_BATCH_SIZE rows, each a short statement of its own (see RetentionRepository).
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  private readonly task = new PeriodicTask(this.logger, 'retention pass', () => this.runLocked(), () => this.config.retention.intervalMs);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rows: RetentionRepository,
    private readonly lock: RedisLock,
  ) {}

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
  }

  private async runLocked(): Promise<void> {
    const token = await this.lock.acquire(LOCK, Math.max(60_000, this.config.retention.intervalMs));
    if (!token) return;
    try {
      const counts = await this.runOnce();
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      if (total > 0) this.logger.log(`removed ${JSON.stringify(counts)}`);
    } finally {
      await this.lock.release(LOCK, token);
    }
  }

  /** One pass over every table; returns how many rows each lost. */
  async runOnce(): Promise<RetentionCounts> {
    const { eventsMs, attemptsMs, inboundMs, idempotencyMs, batchSize } = this.config.retention;
    const counts: RetentionCounts = { events: 0, deliveries: 0, attempts: 0, inboundWebhooks: 0, idempotencyKeys: 0 };
    await this.batches(async () => {
      const removed = await this.rows.deleteEvents(eventsMs, batchSize);
      counts.events += removed.events;
      counts.deliveries += removed.deliveries;
      counts.attempts += removed.attempts;
      return removed.events;
    });
    await this.batches(async () => {
      const removed = await this.rows.deleteAttempts(attemptsMs, batchSize);
      counts.attempts += removed;
      return removed;
    });
    await this.batches(async () => {
      const removed = await this.rows.deleteInbound(inboundMs, batchSize);
      counts.inboundWebhooks += removed;
      return removed;
    });
    await this.batches(async () => {
      const removed = await this.rows.deleteIdempotencyKeys(idempotencyMs, batchSize);
      counts.idempotencyKeys += removed;
      return removed;
    });
    return counts;
  }

  private async batches(run: () => Promise<number>): Promise<void> {
    for (let i = 0; i < MAX_BATCHES_PER_TABLE && !this.task.stopping; i++) {
      if ((await run()) < this.config.retention.batchSize) return;
    }
  }
}
