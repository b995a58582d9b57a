import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/common';
import {
  DELIVER_JOB,
  DELIVERY_QUEUE,
  DeliveryJobData,
  EventType,
  queuePrefix,
  WEBHOOK_BACKOFF,
  WebhookEventBody,
  webhookHeaders,
} from '@app/outbox';
import { DeliveryRepository, DeliveryVerdict } from './delivery.repository';
import { checkHandlers } from './job-handlers';
import { maxAttempts, retryDelayMs } from './retry-policy';
import { WebhookClient } from './webhook.client';

/** Every job name the delivery queue carries; each has exactly one handler, checked at boot. */
export const DELIVERY_JOB_NAMES = [DELIVER_JOB] as const;
type DeliveryJobName = (typeof DELIVERY_JOB_NAMES)[number];
type Handler = (job: Job<DeliveryJobData>) => Promise<void>;

/**
 * A failed attempt that will be tried again. It carries the attempt number counted in Postgres and the delay
 * already stored as the delivery's next_attempt_at; the backoff hands that delay to BullMQ. BullMQ's own
 * attemptsMade is not used: it starts again at 0 when the sweep re-adds a job Redis lost.
 */
export class DeliveryRetryError extends Error {
  override readonly name = 'DeliveryRetryError';

  constructor(
    message: string,
    readonly attempt: number,
    readonly retryAfterMs: number | null,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/**
 * Sends webhook deliveries from the BullMQ queue. Postgres is the record of every delivery and attempt; a job
 * is only a reminder to try one, so a stale or duplicate job finishes without sending.
 */
@Injectable()
export class DeliveryProcessor implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookDelivery');
  private worker: Worker<DeliveryJobData> | null = null;
  /** Deliveries this process is sending now: a job re-added while its first copy still runs is dropped. */
  private readonly inFlight = new Set<string>();
  private readonly handlers: Record<DeliveryJobName, Handler> = {
    [DELIVER_JOB]: (job) => this.deliver(job.data),
  };
  private lastRedisWarning = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    private readonly client: WebhookClient,
  ) {}

  onModuleInit(): void {
    checkHandlers(DELIVERY_QUEUE, Object.keys(this.handlers), DELIVERY_JOB_NAMES);
  }

  async onApplicationBootstrap(): Promise<void> {
    const worker = new Worker<DeliveryJobData>(DELIVERY_QUEUE, (job) => this.dispatch(job), {
      prefix: queuePrefix(this.config.queuePrefix),
      concurrency: this.config.worker.concurrency,
      // A worker blocks on Redis and must wait out outages instead of failing commands.
      connection: { url: this.config.redisUrl, maxRetriesPerRequest: null },
      settings: { backoffStrategy: (attemptsMade, type, error) => this.backoff(attemptsMade, type, error) },
    });
    worker.on('error', (error) => {
      // While Redis is down every reconnect fails; one line every 10 s says so without flooding the log.
      if (Date.now() - this.lastRedisWarning > 10_000) {
        this.lastRedisWarning = Date.now();
        this.logger.warn(`queue: ${error.message}`);
      }
    });
    this.worker = worker;
    await worker.waitUntilReady();
  }

  /** Stops taking jobs and waits for the deliveries in progress to be sent and recorded. */
  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
  }

  private backoff(attemptsMade: number, type: string | undefined, error: Error | undefined): number {
    if (error instanceof DeliveryRetryError) return error.delayMs;
    if (type !== WEBHOOK_BACKOFF) this.logger.warn(`job with unknown backoff type "${type}"; using the webhook schedule`);
    // Not an attempt (Postgres unreachable while loading or recording): try again on the schedule's pace.
    return retryDelayMs(this.config.webhooks.retryScheduleMs, attemptsMade, null);
  }

  private async dispatch(job: Job<DeliveryJobData>): Promise<void> {
    const handler = (this.handlers as Record<string, Handler | undefined>)[job.name];
    if (!handler) {
      this.logger.error(`${DELIVERY_QUEUE}: no handler for job name "${job.name}" (job ${job.id})`);
      throw new UnrecoverableError(`no handler for job name "${job.name}"`);
    }
    try {
      await handler(job);
    } catch (error) {
      if (!(error instanceof DeliveryRetryError) && !(error instanceof UnrecoverableError)) {
        this.logger.warn(`job ${job.id} failed before its attempt was recorded: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  private async deliver(ref: DeliveryJobData): Promise<void> {
    const key = `${ref.eventId}__${ref.endpointId}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      await this.attempt(ref);
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async attempt(ref: DeliveryJobData): Promise<void> {
    // Nothing to send for a stale job (the delivery finished, was redelivered under a new generation, or its
    // endpoint is gone), nor for a duplicate another worker is sending (a stalled job re-run, a sweep re-add).
    const target = await this.deliveries.claim(ref, this.config.webhooks.timeoutMs + 5_000);
    if (!target) return;

    const event: WebhookEventBody = {
      id: ref.eventId,
      type: target.eventType as EventType,
      timestamp: target.eventCreatedAt.toISOString(),
      data: target.eventData,
    };
    // Serialized once: the signature covers exactly the bytes sent.
    const body = JSON.stringify(event);
    const at = new Date();
    const headers = webhookHeaders(target.secret, ref.eventId, Math.floor(at.getTime() / 1000), body);
    const response = await this.client.post(target.url, body, headers);

    const schedule = this.config.webhooks.retryScheduleMs;
    const last = maxAttempts(schedule);
    const recorded = await this.deliveries.recordAttempt(
      ref,
      target.attempts,
      { at, responseStatus: response.status, durationMs: response.durationMs, error: response.error },
      (attempt): DeliveryVerdict => {
        if (response.error === null) return { status: 'succeeded' };
        if (response.status === 410) return { status: 'failed', disableEndpoint: `answered 410 Gone at ${at.toISOString()}` };
        if (attempt >= last) return { status: 'failed' };
        return { status: 'pending', retryInMs: retryDelayMs(schedule, attempt, response.retryAfterMs) };
      },
    );

    const verdict = recorded?.verdict;
    const outcome = !verdict
      ? 'delivery had moved on; left as it was'
      : verdict.status === 'pending'
        ? `retry in ${verdict.retryInMs} ms`
        : verdict.status === 'failed'
          ? `failed for good${verdict.disableEndpoint ? '; endpoint disabled' : ''}`
          : 'delivered';
    const result = response.status !== null ? `status ${response.status}` : `no response (${response.error})`;
    const attempt = `attempt ${recorded?.attemptNumber ?? '?'}/${last}`;
    const line = `event ${ref.eventId} endpoint ${ref.endpointId} ${attempt}: ${result} in ${response.durationMs} ms, ${outcome}`;
    if (verdict?.status === 'succeeded' || !verdict) this.logger.log(line);
    else this.logger.warn(line);

    if (!verdict || verdict.status === 'succeeded') return;
    if (verdict.status === 'failed') throw new UnrecoverableError(response.error ?? 'delivery failed');
    throw new DeliveryRetryError(response.error ?? 'delivery failed', recorded.attemptNumber, response.retryAfterMs, verdict.retryInMs);
  }
}
