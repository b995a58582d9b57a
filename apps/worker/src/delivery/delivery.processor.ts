import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError, Worker } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/common';
import {
  DELIVER_JOB,
  DELIVERY_QUEUE,
  DeliveryJobData,
  EventType,
  OutboxService,
  queuePrefix,
  WEBHOOK_BACKOFF,
  WebhookEventBody,
  webhookHeaders,
} from '@app/outbox';
import { DeliveryRepository, DeliveryVerdict, DisabledEndpoint } from './delivery.repository';
import { EndpointGate } from './endpoint-gate';
import { checkHandlers } from './job-handlers';
import { maxAttempts, retryDelayMs } from './retry-policy';
import { WebhookClient } from './webhook.client';

/** Every job name the delivery queue carries; each has exactly one handler, checked at boot. */
export const DELIVERY_JOB_NAMES = [DELIVER_JOB] as const;
type DeliveryJobName = (typeof DELIVERY_JOB_NAMES)[number];
type Handler = (job: Job<DeliveryJobData>, token: string | undefined) => Promise<void>;

/** How long past its expiry a claim is waited for: the clocks of Postgres and this worker need not agree exactly. */
const CLAIM_MARGIN_MS = 2_000;

/** Thrown by a send that may not happen yet: the job goes back to the queue for `waitMs` without an attempt. */
class DeferDelivery extends Error {
  constructor(
    readonly waitMs: number,
    readonly why: string,
  ) {
    super(why);
  }
}

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
    [DELIVER_JOB]: (job, token) => this.deliverOrDefer(job, token),
  };
  private lastRedisWarning = 0;
  /** Per-endpoint concurrency cap and circuit: one slow or failing endpoint cannot take every slot. */
  readonly gate: EndpointGate;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    private readonly client: WebhookClient,
    private readonly outbox: OutboxService,
  ) {
    this.gate = new EndpointGate({
      concurrency: config.webhooks.endpointConcurrency,
      fastConcurrency: Math.floor(config.worker.concurrency / 2),
      maxWaiting: config.worker.concurrency,
      threshold: config.webhooks.circuitThreshold,
      openMs: config.webhooks.circuitOpenMs,
      maxWaitMs: Math.max(config.webhooks.circuitOpenMs, 60_000),
    });
  }

  onModuleInit(): void {
    checkHandlers(DELIVERY_QUEUE, Object.keys(this.handlers), DELIVERY_JOB_NAMES);
  }

  async onApplicationBootstrap(): Promise<void> {
    const worker = new Worker<DeliveryJobData>(DELIVERY_QUEUE, (job, token) => this.dispatch(job, token), {
      prefix: queuePrefix(this.config.queuePrefix),
      concurrency: this.config.worker.concurrency,
      // A worker that dies stops renewing its jobs' locks; another worker's stalled-job check finds them within
      // about two lock periods and runs them again (the claim in Postgres keeps a send from being doubled).
      lockDuration: this.config.worker.lockMs,
      stalledInterval: this.config.worker.lockMs,
      maxStalledCount: 10,
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

  private async dispatch(job: Job<DeliveryJobData>, token: string | undefined): Promise<void> {
    const handler = (this.handlers as Record<string, Handler | undefined>)[job.name];
    if (!handler) {
      this.logger.error(`${DELIVERY_QUEUE}: no handler for job name "${job.name}" (job ${job.id})`);
      throw new UnrecoverableError(`no handler for job name "${job.name}"`);
    }
    try {
      await handler(job, token);
    } catch (error) {
      if (!(error instanceof DeliveryRetryError) && !(error instanceof UnrecoverableError) && !(error instanceof DelayedError)) {
        this.logger.warn(`job ${job.id} failed before its attempt was recorded: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  /** A delivery that may not go now (endpoint busy, circuit open, claimed by a worker that may have died) waits in the queue. */
  private async deliverOrDefer(job: Job<DeliveryJobData>, token: string | undefined): Promise<void> {
    try {
      await this.deliver(job.data);
    } catch (error) {
      if (!(error instanceof DeferDelivery) || !token) throw error;
      await job.moveToDelayed(Date.now() + error.waitMs, token);
      throw new DelayedError(error.why);
    }
  }

  private async deliver(ref: DeliveryJobData): Promise<void> {
    const key = `${ref.eventId}__${ref.endpointId}`;
    if (this.inFlight.has(key)) return;
    const admission = await this.gate.admit(ref.endpointId);
    if (!admission.go) throw new DeferDelivery(admission.waitMs, `endpoint ${admission.reason === 'busy' ? 'at its concurrency cap' : 'circuit open'}`);
    this.inFlight.add(key);
    // Set as soon as the receiver answered (or did not): a retry is thrown after it, and the circuit must count it.
    const sent: { outcome: { ok: boolean; durationMs: number } | null } = { outcome: null };
    try {
      await this.attempt(ref, sent);
    } finally {
      this.inFlight.delete(key);
      if (sent.outcome) this.gate.finish(ref.endpointId, sent.outcome.ok, sent.outcome.durationMs);
      else this.gate.release(ref.endpointId);
    }
  }

  private async attempt(ref: DeliveryJobData, sent: { outcome: { ok: boolean; durationMs: number } | null }): Promise<void> {
    // Nothing to send for a stale job (the delivery finished, was redelivered under a new generation, or its
    // endpoint is gone). A delivery another send holds (a stalled job re-run, a sweep re-add, or a worker that died
    // mid-send) is looked at again when that claim runs out: then it is either done or sent from here.
    const claim = await this.deliveries.claim(ref, this.config.webhooks.timeoutMs + CLAIM_MARGIN_MS);
    if (claim.kind === 'none') return;
    if (claim.kind === 'held') throw new DeferDelivery(claim.forMs + 250, 'claimed by another send');
    const target = claim.target;
    if (target.secretError !== null) {
      // Not an attempt: nothing was sent. Retried on the schedule's pace until the key is configured.
      throw new Error(`cannot sign for endpoint ${ref.endpointId}: ${target.secretError}`);
    }

    const event: WebhookEventBody = {
      id: ref.eventId,
      type: target.eventType as EventType,
      timestamp: target.eventCreatedAt.toISOString(),
      ...(target.eventSequence !== null ? { sequence: target.eventSequence } : {}),
      data: target.eventData,
    };
    // Serialized once: the signature covers exactly the bytes sent.
    const body = JSON.stringify(event);
    const at = new Date();
    const headers = webhookHeaders(target.secrets, ref.eventId, Math.floor(at.getTime() / 1000), body);
    const response = await this.client.post(target.url, body, headers);
    sent.outcome = { ok: response.error === null, durationMs: response.durationMs };

    const schedule = this.config.webhooks.retryScheduleMs;
    const last = maxAttempts(schedule);
    const recorded = await this.deliveries.recordAttempt(
      ref,
      target.attempts,
      {
        at,
        responseStatus: response.status,
        durationMs: response.durationMs,
        error: response.error,
        errorKind: response.errorKind,
        responseBody: response.body,
      },
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
    // A success is in the attempt history (GET /v1/events/{id}/attempts); its line is debug, a write saved per delivery.
    if (verdict?.status === 'succeeded') this.logger.debug(line);
    else if (!verdict) this.logger.log(line);
    else this.logger.warn(line);

    if (response.error !== null && verdict) await this.noteFailure(ref.endpointId, at);
    if (!verdict || verdict.status === 'succeeded') return;
    if (verdict.status === 'failed') throw new UnrecoverableError(response.error ?? 'delivery failed');
    throw new DeliveryRetryError(response.error ?? 'delivery failed', recorded.attemptNumber, response.retryAfterMs, verdict.retryInMs);
  }

  /**
   * An endpoint that has failed every attempt for WEBHOOK_DISABLE_AFTER is disabled, and its owner's other
   * endpoints get `endpoint.disabled`, in the same transaction. Best effort: if this fails, the next failed attempt
   * checks again.
   */
  private async noteFailure(endpointId: string, at: Date): Promise<void> {
    try {
      await this.outbox.transact(async (tx) => {
        const disabled = await this.deliveries.noteFailure(endpointId, at, this.config.webhooks.disableAfterMs, tx.manager);
        if (!disabled) return;
        this.logger.warn(`endpoint ${endpointId} disabled: every attempt failed since ${disabled.failingSince.toISOString()}`);
        await tx.emit(endpointDisabledEvent(disabled));
      });
    } catch (error) {
      this.logger.warn(`could not update the health of endpoint ${endpointId}: ${(error as Error).message}`);
    }
  }
}

function endpointDisabledEvent(endpoint: DisabledEndpoint) {
  return {
    type: 'endpoint.disabled' as const,
    ownerId: endpoint.ownerId,
    resourceId: endpoint.id,
    // One event per disabling: the time it happened orders them.
    version: endpoint.disabledAt.getTime(),
    data: {
      id: endpoint.id,
      object: 'webhook_endpoint',
      url: endpoint.url,
      enabled: false,
      failingSince: endpoint.failingSince.toISOString(),
      disabledAt: endpoint.disabledAt.toISOString(),
    },
  };
}
