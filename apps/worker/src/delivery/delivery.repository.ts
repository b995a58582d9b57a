import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DeliveryJobData } from '@app/outbox';
import type { DeliveryStatus } from '@app/persistence';

/** What one attempt needs: the delivery's state, its endpoint and its event, read in one query. */
export interface DeliveryTarget {
  status: DeliveryStatus;
  generation: number;
  attempts: number;
  url: string;
  secret: string;
  endpointActive: boolean;
  eventType: string;
  eventCreatedAt: Date;
  eventData: Record<string, unknown>;
}

export interface AttemptRecord {
  at: Date;
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
}

/** The delivery's state after an attempt. */
export type DeliveryVerdict =
  | { status: 'succeeded' }
  | { status: 'pending'; retryInMs: number }
  | { status: 'failed'; disableEndpoint?: string };

export interface DueDelivery extends DeliveryJobData {
  delayMs: number;
}

/** The worker's reads and writes of webhook_deliveries, webhook_attempts and webhook_endpoints. */
@Injectable()
export class DeliveryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async loadTarget(ref: DeliveryJobData): Promise<DeliveryTarget | null> {
    const rows: Array<Record<string, any>> = await this.dataSource.query(
      `SELECT d.status, d.generation, d.attempts, e.url, e.secret,
              (e.enabled AND e.deleted_at IS NULL) AS endpoint_active,
              ev.type AS event_type, ev.created_at AS event_created_at, ev.data AS event_data
         FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id
         JOIN events ev ON ev.id = d.event_id
        WHERE d.event_id = $1 AND d.endpoint_id = $2`,
      [ref.eventId, ref.endpointId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      status: row.status,
      generation: row.generation,
      attempts: row.attempts,
      url: row.url,
      secret: row.secret,
      endpointActive: row.endpoint_active,
      eventType: row.event_type,
      eventCreatedAt: row.event_created_at,
      eventData: row.event_data,
    };
  }

  /**
   * Records an attempt and the delivery's new state in one transaction. The row lock orders this against a
   * concurrent redelivery or a duplicate job: the attempt number is taken under the lock, and when the delivery
   * moved on meanwhile (another job finished it, or a redelivery started a new generation) the attempt is still
   * recorded, since the request was sent, but the delivery is left alone. Returns null in that case.
   */
  /**
   * Claims a pending delivery of this generation for one send, for at most `forMs`. False when it is not pending
   * any more, belongs to another generation, or another worker holds an unexpired claim: then nothing is sent.
   */
  async claim(ref: DeliveryJobData, forMs: number): Promise<boolean> {
    const [rows]: [unknown[], number] = await this.dataSource.query(
      `UPDATE webhook_deliveries SET claimed_until = now() + $4::float8 * interval '1 millisecond'
        WHERE event_id = $1 AND endpoint_id = $2 AND generation = $3 AND status = 'pending'
          AND (claimed_until IS NULL OR claimed_until < now())
        RETURNING 1`,
      [ref.eventId, ref.endpointId, ref.generation, forMs],
    );
    return rows.length > 0;
  }

  async recordAttempt(
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
        `INSERT INTO webhook_attempts (event_id, endpoint_id, attempt, status, response_status, duration_ms, error, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [ref.eventId, ref.endpointId, attemptNumber, attemptStatus, attempt.responseStatus, attempt.durationMs, attempt.error, attempt.at],
      );
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
          `UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1 AND enabled`,
          [ref.endpointId, verdict.disableEndpoint],
        );
      }
      return { attemptNumber, verdict };
    });
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
