import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/common';
import { DELIVER_JOB, DELIVERY_QUEUE, DeliveryJobData, deliveryJobId, queuePrefix, WEBHOOK_BACKOFF } from './queue';

/**
 * Finished jobs the queue keeps, so the dashboard (/admin/queues) shows what was just delivered or given up on.
 * Bounded by count and by age: Redis holds a few thousand small jobs at most. Postgres stays the record of every
 * attempt (GET /v1/webhook-endpoints/{id}/deliveries).
 */
export const KEEP_COMPLETED_JOBS = { count: 1000, age: 24 * 3600 };
export const KEEP_FAILED_JOBS = { count: 5000, age: 7 * 24 * 3600 };

/** The options of every delivery job but its id and delay (the fan-out bench adds its jobs with these too). */
export function deliveryJobOptions(retries: number) {
  return {
    // Retries are counted in Postgres (webhook_deliveries.attempts); BullMQ's count only has to be high enough
    // never to stop first. The worker ends a delivery itself after the schedule's last attempt.
    attempts: retries + 2,
    backoff: { type: WEBHOOK_BACKOFF },
    removeOnComplete: KEEP_COMPLETED_JOBS,
    removeOnFail: KEEP_FAILED_JOBS,
  };
}

/**
 * Moves recorded deliveries from Postgres into the BullMQ queue. Postgres is the record: a delivery whose enqueue
 * failed (Redis down) or whose job vanished (Redis restarted empty) is found again by the worker's sweep.
 */
@Injectable()
export class DeliveryRelay implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryRelay.name);
  readonly queue: Queue<DeliveryJobData>;
  /** The same for every job this relay adds: made once, not for each delivery. */
  private readonly jobOptions: ReturnType<typeof deliveryJobOptions>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.queue = new Queue<DeliveryJobData>(DELIVERY_QUEUE, {
      prefix: queuePrefix(config.queuePrefix),
      // Fail fast while Redis is down instead of queueing commands in memory: the sweep retries from Postgres.
      connection: { url: config.redisUrl, enableOfflineQueue: false, maxRetriesPerRequest: 1 },
    });
    this.queue.on('error', (error) => this.logger.warn(`queue: ${error.message}`));
    this.jobOptions = deliveryJobOptions(config.webhooks.retryScheduleMs.length);
  }

  /**
   * Adds the jobs (no-ops for ids already queued) and marks the deliveries enqueued, unless the caller wrote them
   * already marked (the outbox does, in the same statement that creates them). Never throws.
   */
  async enqueue(
    refs: Array<DeliveryJobData & { delayMs?: number }>,
    options: { markEnqueued?: boolean; replaceFinished?: boolean } = {},
  ): Promise<number> {
    if (refs.length === 0) return 0;
    try {
      // A finished job is kept for a while under the delivery's id, and adding that id again would be a no-op. The
      // sweep re-adds only deliveries Postgres still holds pending, so a finished job there is one whose outcome
      // was not recorded (Postgres was down): it is removed, so the delivery is attempted again.
      if (options.replaceFinished) await this.removeFinished(refs.map(deliveryJobId));
      await this.queue.addBulk(
        refs.map((ref) => ({
          name: DELIVER_JOB,
          data: { eventId: ref.eventId, endpointId: ref.endpointId, generation: ref.generation },
          opts: { jobId: deliveryJobId(ref), delay: Math.max(0, ref.delayMs ?? 0), ...this.jobOptions },
        })),
      );
    } catch (error) {
      this.logger.warn(`could not enqueue ${refs.length} deliveries (${(error as Error).message}); the sweep will retry`);
      return 0;
    }
    if (options.markEnqueued === false) return refs.length;
    const values = refs.map((_, i) => `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3}::int)`).join(', ');
    await this.dataSource
      .query(
        `UPDATE webhook_deliveries d SET enqueued_at = now()
           FROM (VALUES ${values}) AS r(event_id, endpoint_id, generation)
          WHERE d.event_id = r.event_id AND d.endpoint_id = r.endpoint_id AND d.generation = r.generation`,
        refs.flatMap((ref) => [ref.eventId, ref.endpointId, ref.generation]),
      )
      .catch((error: Error) => this.logger.warn(`could not mark deliveries enqueued: ${error.message}`));
    return refs.length;
  }

  private async removeFinished(jobIds: string[]): Promise<void> {
    const states = await Promise.all(jobIds.map((id) => this.queue.getJobState(id)));
    await Promise.all(jobIds.filter((_, i) => states[i] === 'completed' || states[i] === 'failed').map((id) => this.queue.remove(id)));
  }

  /** Jobs the queue holds that will still run: waiting, delayed, prioritized, active or waiting for children. */
  async liveJobCount(): Promise<number> {
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active', 'waiting-children');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close().catch(() => undefined);
  }
}
