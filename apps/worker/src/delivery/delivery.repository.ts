import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig, pgPool, preparedQuery } from '@app/common';
import type { DeliveryJobData } from '@app/outbox';
import { openEndpointSecrets, type DeliveryStatus, type OpenedSecrets } from '@app/persistence';
import { Batcher } from './batcher';

/** What one send needs, read when the delivery is claimed: attempts so far, the endpoint and the event. */
export interface DeliveryTarget {
  attempts: number;
  url: string;
  /** In clear: the current secret, then the previous one while a rotation's grace period lasts. */
  secrets: string[];
  /** Secrets that could not be opened (a key missing from the keyring): the delivery cannot be signed. */
  secretError: string | null;
  eventType: string;
  eventCreatedAt: Date;
  eventSequence: number | null;
  eventData: Record<string, unknown>;
}

/** The outcome of a claim: claimed for this send, held by another send until later, or nothing to send. */
export type ClaimResult = { kind: 'claimed'; target: DeliveryTarget } | { kind: 'held'; forMs: number } | { kind: 'none' };

export interface AttemptRecord {
  at: Date;
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
  errorKind: string | null;
  responseBody: string | null;
}

/** An endpoint this worker just disabled for sustained failure. */
export interface DisabledEndpoint {
  id: string;
  ownerId: string;
  url: string;
  failingSince: Date;
  disabledAt: Date;
}

/** The delivery's state after an attempt. */
export type DeliveryVerdict =
  | { status: 'succeeded' }
  | { status: 'pending'; retryInMs: number }
  | { status: 'failed'; disableEndpoint?: string };

export interface DueDelivery extends DeliveryJobData {
  delayMs: number;
}

interface ClaimRequest {
  ref: DeliveryJobData;
  forMs: number;
}

interface RecordRequest {
  ref: DeliveryJobData;
  attemptNumber: number;
  verdict: DeliveryVerdict;
  attempt: AttemptRecord;
}

const key = (eventId: string, endpointId: string) => `${eventId}__${endpointId}`;

/** Statements of each batcher in flight at once; the batched statements' pool holds as many connections for both. */
const BATCH_STATEMENTS = 8;

/**
 * Planner settings of the connections that run the batched claim and record. Each statement names its deliveries by
 * primary key, and the only good plan looks each one up by it. A connection plans a prepared statement once for all
 * its later calls, from the table as it is then; planned while the table was small, or while few deliveries were
 * pending, the record scanned every pending delivery (or the whole table) on every call once a backlog built up: 7.4
 * ms a call at 30,600 pending against 0.6 ms by key (BENCHMARKS.md). With whole-table scans and hash and merge joins
 * off these two statements have no plan but the lookup by key. They compare the status with `request.pending`, a
 * value of the request, not a literal: a literal lets the planner scan the partial index of pending deliveries
 * instead, and that scan reads the whole backlog.
 */
const KEYED_PLANS = '-c enable_seqscan=off -c enable_bitmapscan=off -c enable_hashjoin=off -c enable_mergejoin=off';

/**
 * The worker's reads and writes of webhook_deliveries, webhook_attempts and webhook_endpoints. Claims and
 * recorded attempts of concurrent jobs are written a batch per statement (see Batcher): a delivery costs two
 * statements shared with the others in flight, not five of its own.
 */
@Injectable()
export class DeliveryRepository implements OnApplicationShutdown {
  private readonly logger = new Logger('DeliveryRepository');
  /** Endpoint secrets opened once per sealed value (openEndpointSecrets). */
  private readonly openedSecrets: OpenedSecrets = new Map();
  private readonly claims = new Batcher((requests: ClaimRequest[]) => this.claimBatch(requests), { maxBatch: 100, maxConcurrent: BATCH_STATEMENTS });
  private readonly records = new Batcher((requests: RecordRequest[]) => this.recordBatch(requests), { maxBatch: 100, maxConcurrent: BATCH_STATEMENTS });
  /** Connections for the batched claim and record only, with KEYED_PLANS. */
  private readonly batchPool: Pool;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // The DataSource pool's own connection settings (URL, timeouts), with fewer connections and the planner settings.
    this.batchPool = new Pool({ ...pgPool(dataSource).options, max: 2 * BATCH_STATEMENTS, options: KEYED_PLANS });
    // An idle connection that drops (Postgres restarted) is replaced on next use; without a listener it would crash.
    this.batchPool.on('error', (error) => this.logger.warn(`idle connection of the delivery statements lost: ${error.message}`));
  }

  /** After the deliveries in flight were recorded (the processor waits for them as the module is destroyed). */
  async onApplicationShutdown(): Promise<void> {
    await this.batchPool.end();
  }

  /**
   * Claims a pending delivery of this generation for one send, for at most `forMs`, and reads what the send
   * needs. `held` when another send holds an unexpired claim (a worker that may have died: the caller comes back
   * when the claim runs out); `none` when there is nothing to send: the delivery finished, was redelivered under
   * another generation, or its endpoint is disabled or deleted.
   */
  async claim(ref: DeliveryJobData, forMs: number): Promise<ClaimResult> {
    const target = await this.claims.submit({ ref, forMs });
    if (target) return { kind: 'claimed', target };
    const held: Array<{ wait_ms: number }> = await this.dataSource.query(
      `SELECT GREATEST(0, EXTRACT(EPOCH FROM (d.claimed_until - now())) * 1000)::float8 AS wait_ms
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled AND e.deleted_at IS NULL
        WHERE d.event_id = $1 AND d.endpoint_id = $2 AND d.generation = $3 AND d.status = 'pending' AND d.claimed_until > now()`,
      [ref.eventId, ref.endpointId, ref.generation],
    );
    return held.length ? { kind: 'held', forMs: Math.ceil(Number(held[0].wait_ms)) } : { kind: 'none' };
  }

  private async claimBatch(requests: ClaimRequest[]): Promise<Array<DeliveryTarget | null>> {
    const rows: Array<Record<string, any>> = await preparedQuery(
      this.batchPool,
      `WITH request AS MATERIALIZED (
         SELECT r.*, 'pending'::text AS pending
           FROM unnest($1::text[], $2::text[], $3::int[], $4::float8[]) AS r(event_id, endpoint_id, generation, for_ms)
       ), claimed AS (
         UPDATE webhook_deliveries d SET claimed_until = now() + request.for_ms * interval '1 millisecond'
           FROM request, webhook_endpoints e
          WHERE d.event_id = request.event_id AND d.endpoint_id = request.endpoint_id AND d.generation = request.generation
            AND d.status = request.pending AND (d.claimed_until IS NULL OR d.claimed_until < now())
            AND e.id = d.endpoint_id AND e.enabled AND e.deleted_at IS NULL
         RETURNING d.event_id, d.endpoint_id, d.attempts, e.url, e.secret, e.secret_key_id, e.previous_secret,
                   e.previous_secret_key_id, e.previous_secret_expires_at
       )
       SELECT claimed.*, ev.type AS event_type, ev.created_at AS event_created_at, ev.sequence AS event_sequence,
              ev.data AS event_data
         FROM claimed JOIN events ev ON ev.id = claimed.event_id`,
      [
        requests.map((r) => r.ref.eventId),
        requests.map((r) => r.ref.endpointId),
        requests.map((r) => r.ref.generation),
        requests.map((r) => r.forMs),
      ],
    );
    const byKey = new Map(rows.map((row) => [key(row.event_id, row.endpoint_id), row]));
    return requests.map(({ ref }) => {
      const k = key(ref.eventId, ref.endpointId);
      const row = byKey.get(k);
      // The same delivery twice in one batch is claimed once: only the first request gets it.
      byKey.delete(k);
      if (!row) return null;
      let secrets: string[] = [];
      let secretError: string | null = null;
      try {
        secrets = openEndpointSecrets(this.config.secrets, { ...row, id: row.endpoint_id } as never, new Date(), this.openedSecrets);
      } catch (error) {
        secretError = (error as Error).message;
      }
      return {
        attempts: row.attempts,
        url: row.url,
        secrets,
        secretError,
        eventType: row.event_type,
        eventCreatedAt: row.event_created_at,
        eventSequence: row.event_sequence === null ? null : Number(row.event_sequence),
        eventData: row.event_data,
      };
    });
  }

  /**
   * Records an attempt and the delivery's new state. The common case, the delivery still as it was claimed, goes
   * in a batched statement: a delivery's update applies only while it is pending in this generation with the
   * attempts counted at the claim, and its attempt row is inserted only if it did. Otherwise the locked path
   * below decides.
   */
  async recordAttempt(
    ref: DeliveryJobData,
    claimedAttempts: number,
    attempt: AttemptRecord,
    decide: (attemptNumber: number) => DeliveryVerdict,
  ): Promise<{ attemptNumber: number; verdict: DeliveryVerdict } | null> {
    const attemptNumber = claimedAttempts + 1;
    const verdict = decide(attemptNumber);
    if (await this.records.submit({ ref, attemptNumber, verdict, attempt })) return { attemptNumber, verdict };
    return this.recordAttemptLocked(ref, attempt, decide);
  }

  private async recordBatch(all: RecordRequest[]): Promise<boolean[]> {
    // The same delivery twice in one batch would insert two attempt rows for one update: only the first goes
    // here, any other takes the locked path.
    const seen = new Set<string>();
    const requests = all.filter(({ ref }) => !seen.has(key(ref.eventId, ref.endpointId)) && seen.add(key(ref.eventId, ref.endpointId)));
    const rows: Array<{ event_id: string; endpoint_id: string }> = await preparedQuery(
      this.batchPool,
      `WITH request AS MATERIALIZED (
         SELECT r.*, 'pending'::text AS pending
           FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[], $6::text[], $7::int[], $8::int[],
                       $9::text[], $10::timestamptz[], $11::float8[], $12::text[], $13::text[], $14::text[])
             AS r(event_id, endpoint_id, generation, attempt, status, attempt_status, response_status, duration_ms,
                  error, at, retry_ms, disable_reason, error_kind, response_body)
       ), delivery AS (
         UPDATE webhook_deliveries d
            SET attempts = request.attempt, status = request.status, last_response_status = request.response_status,
                last_error = request.error, claimed_until = NULL,
                next_attempt_at = CASE WHEN request.status = 'pending' THEN now() + request.retry_ms * interval '1 millisecond' ELSE d.next_attempt_at END,
                updated_at = now()
           FROM request
          WHERE d.event_id = request.event_id AND d.endpoint_id = request.endpoint_id AND d.generation = request.generation
            AND d.status = request.pending AND d.attempts = request.attempt - 1
         RETURNING d.event_id, d.endpoint_id
       ), recorded AS (
         INSERT INTO webhook_attempts (event_id, endpoint_id, attempt, status, response_status, duration_ms, error, error_kind, response_body, at)
         SELECT request.event_id, request.endpoint_id, request.attempt, request.attempt_status, request.response_status,
                request.duration_ms, request.error, request.error_kind, request.response_body, request.at
           FROM request JOIN delivery USING (event_id, endpoint_id)
       ), disabled AS (
         UPDATE webhook_endpoints e SET enabled = false, disabled_reason = request.disable_reason, disabled_at = now(), updated_at = now()
           FROM request JOIN delivery USING (event_id, endpoint_id)
          WHERE e.id = request.endpoint_id AND e.enabled AND request.disable_reason IS NOT NULL
       ), healthy AS (
         -- A success ends the endpoint's failing streak; written only when there is one, so the hot path does not
         -- update the endpoint row on every delivery.
         UPDATE webhook_endpoints e SET failing_since = NULL
          WHERE e.failing_since IS NOT NULL
            AND e.id IN (SELECT request.endpoint_id FROM request JOIN delivery USING (event_id, endpoint_id) WHERE request.attempt_status = 'succeeded')
       )
       SELECT event_id, endpoint_id FROM delivery`,
      [
        requests.map((r) => r.ref.eventId),
        requests.map((r) => r.ref.endpointId),
        requests.map((r) => r.ref.generation),
        requests.map((r) => r.attemptNumber),
        requests.map((r) => r.verdict.status),
        requests.map((r) => (r.attempt.error === null ? 'succeeded' : 'failed')),
        requests.map((r) => r.attempt.responseStatus),
        requests.map((r) => r.attempt.durationMs),
        requests.map((r) => r.attempt.error),
        requests.map((r) => r.attempt.at),
        requests.map((r) => (r.verdict.status === 'pending' ? r.verdict.retryInMs : 0)),
        requests.map((r) => (r.verdict.status === 'failed' ? (r.verdict.disableEndpoint ?? null) : null)),
        requests.map((r) => r.attempt.errorKind),
        requests.map((r) => r.attempt.responseBody),
      ],
    );
    const applied = new Set(rows.map((row) => key(row.event_id, row.endpoint_id)));
    return all.map(({ ref }) => applied.delete(key(ref.eventId, ref.endpointId)));
  }

  /** The general case: takes the attempt number under the row lock, as above. */
  private async recordAttemptLocked(
    ref: DeliveryJobData,
    attempt: AttemptRecord,
    decide: (attemptNumber: number) => DeliveryVerdict,
  ): Promise<{ attemptNumber: number; verdict: DeliveryVerdict } | null> {
    return this.dataSource.transaction(async (manager) => {
      const locked: Array<{ status: DeliveryStatus; generation: number; attempts: number }> = await manager.query(
        `SELECT status, generation, attempts FROM webhook_deliveries WHERE event_id = $1 AND endpoint_id = $2 FOR UPDATE`,
        [ref.eventId, ref.endpointId],
      );
      const row = locked[0];
      if (!row) return null;
      const attemptNumber = row.attempts + 1;
      const current = row.status === 'pending' && row.generation === ref.generation;
      const verdict = current ? decide(attemptNumber) : null;
      const attemptStatus = attempt.error === null ? 'succeeded' : 'failed';
      await manager.query(
        `INSERT INTO webhook_attempts (event_id, endpoint_id, attempt, status, response_status, duration_ms, error, error_kind, response_body, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          ref.eventId,
          ref.endpointId,
          attemptNumber,
          attemptStatus,
          attempt.responseStatus,
          attempt.durationMs,
          attempt.error,
          attempt.errorKind,
          attempt.responseBody,
          attempt.at,
        ],
      );
      if (attemptStatus === 'succeeded') {
        await manager.query(`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, [ref.endpointId]);
      }
      if (!verdict) return null;
      await manager.query(
        `UPDATE webhook_deliveries
            SET attempts = $3, status = $4, last_response_status = $5, last_error = $6, claimed_until = NULL,
                next_attempt_at = CASE WHEN $4::text = 'pending' THEN now() + $7::float8 * interval '1 millisecond' ELSE next_attempt_at END,
                updated_at = now()
          WHERE event_id = $1 AND endpoint_id = $2`,
        [
          ref.eventId,
          ref.endpointId,
          attemptNumber,
          verdict.status,
          attempt.responseStatus,
          attempt.error,
          verdict.status === 'pending' ? verdict.retryInMs : 0,
        ],
      );
      if (verdict.status === 'failed' && verdict.disableEndpoint) {
        await manager.query(
          `UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, disabled_at = now(), updated_at = now() WHERE id = $1 AND enabled`,
          [ref.endpointId, verdict.disableEndpoint],
        );
      }
      return { attemptNumber, verdict };
    });
  }

  /**
   * Notes a failed attempt against the endpoint's health: starts its failing streak at `at` if none is running, and
   * disables it when the streak has lasted `disableAfterMs`. Returns the endpoint when this call disabled it (only
   * one caller can: the update requires it enabled).
   */
  async noteFailure(endpointId: string, at: Date, disableAfterMs: number, manager: EntityManager = this.dataSource.manager): Promise<DisabledEndpoint | null> {
    await manager.query(`UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1 AND failing_since IS NULL AND enabled`, [endpointId, at]);
    const rows: Array<{ id: string; owner_id: string; url: string; failing_since: Date; disabled_at: Date }> = await manager.query(
      // Wrapped in a SELECT: TypeORM answers a bare UPDATE … RETURNING with [rows, count].
      `WITH disabled AS (
         UPDATE webhook_endpoints
            SET enabled = false, disabled_at = now(), updated_at = now(),
                disabled_reason = 'every attempt failed since ' || to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
          WHERE id = $1 AND enabled AND deleted_at IS NULL AND failing_since <= now() - $2::float8 * interval '1 millisecond'
          RETURNING id, owner_id, url, failing_since, disabled_at
       )
       SELECT * FROM disabled`,
      [endpointId, disableAfterMs],
    );
    const row = rows[0];
    return row ? { id: row.id, ownerId: row.owner_id, url: row.url, failingSince: row.failing_since, disabledAt: row.disabled_at } : null;
  }

  /** Every pending delivery of an active endpoint, due or not. */
  async countPending(): Promise<number> {
    const rows: Array<{ pending: number }> = await this.dataSource.query(
      `SELECT count(*)::int AS pending
         FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled AND e.deleted_at IS NULL
        WHERE d.status = 'pending'`,
    );
    return rows[0].pending;
  }

  /**
   * Pending deliveries of active endpoints that are due within `graceMs` and were never handed to the queue, or
   * not within `graceMs`: their job may be gone (Redis lost it). A retry hours away is left until it is nearly
   * due, so an endpoint that is down for a day does not have its whole backlog re-added every tick. The delay is
   * computed by Postgres, so worker clocks do not matter.
   */
  async findUnqueued(graceMs: number, limit: number): Promise<DueDelivery[]> {
    const rows: Array<{ event_id: string; endpoint_id: string; generation: number; delay_ms: string | number }> = await this.dataSource.query(
      `SELECT d.event_id, d.endpoint_id, d.generation,
              GREATEST(0, CEIL(EXTRACT(EPOCH FROM (d.next_attempt_at - now())) * 1000))::float8 AS delay_ms
         FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled AND e.deleted_at IS NULL
        WHERE d.status = 'pending'
          AND d.next_attempt_at < now() + $1::float8 * interval '1 millisecond'
          AND (d.enqueued_at IS NULL OR d.enqueued_at < now() - $1::float8 * interval '1 millisecond')
        ORDER BY d.next_attempt_at
        LIMIT $2`,
      [graceMs, limit],
    );
    return rows.map((row) => ({ eventId: row.event_id, endpointId: row.endpoint_id, generation: row.generation, delayMs: Number(row.delay_ms) }));
  }
}
