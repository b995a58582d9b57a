import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Rows removed by one pass, per table. */
export interface RetentionCounts {
  events: number;
  deliveries: number;
  attempts: number;
  inboundWebhooks: number;
  idempotencyKeys: number;
}

export interface RetentionCutoffs {
  eventsMs: number;
  attemptsMs: number;
  inboundMs: number;
  idempotencyMs: number;
}

/**
 * Deletes old rows in small batches, each its own short statement: a batch locks at most `batch` rows of a table
 * and only rows nobody writes any more (old, finished), so inserts and the worker's updates never wait behind it.
 * Rows are picked with SKIP LOCKED, so a pass never waits on a row another transaction holds.
 */
@Injectable()
export class RetentionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private async count(sql: string, params: unknown[]): Promise<number> {
    const rows: Array<{ n: number }> = await this.dataSource.query(sql, params);
    return rows[0]?.n ?? 0;
  }

  /**
   * One batch of rows of `table` older than the cutoff on `timeColumn` (and matching `where`), picked with SKIP LOCKED
   * so a batch never waits on rows in use; `key` names the columns that identify a row. Table and columns are this
   * file's constants, never input.
   */
  private deleteOlder(table: string, key: string[], timeColumn: string, olderThanMs: number, batch: number, where = 'true'): Promise<number> {
    const match = key.map((column) => `t.${column} = doomed.${column}`).join(' AND ');
    return this.count(
      `WITH doomed AS (
         SELECT ${key.join(', ')} FROM ${table}
          WHERE ${timeColumn} < now() - $1::float8 * interval '1 millisecond' AND ${where}
          ORDER BY ${timeColumn} LIMIT $2 FOR UPDATE SKIP LOCKED
       ), gone AS (DELETE FROM ${table} t USING doomed WHERE ${match} RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [olderThanMs, batch],
    );
  }

  /** Attempts older than the cutoff (their deliveries stay: the delivery row is the record of its outcome). */
  deleteAttempts(olderThanMs: number, batch: number): Promise<number> {
    return this.deleteOlder('webhook_attempts', ['id'], 'at', olderThanMs, batch);
  }

  /**
   * Events older than the cutoff with no delivery still pending, with their deliveries and attempts (foreign keys
   * are checked at the end of the statement, so the three deletes go together).
   */
  async deleteEvents(olderThanMs: number, batch: number): Promise<{ events: number; deliveries: number; attempts: number }> {
    const rows: Array<{ events: number; deliveries: number; attempts: number }> = await this.dataSource.query(
      `WITH doomed AS (
         SELECT e.id FROM events e
          WHERE e.created_at < now() - $1::float8 * interval '1 millisecond'
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
          ORDER BY e.created_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ), gone_attempts AS (
         DELETE FROM webhook_attempts a USING doomed WHERE a.event_id = doomed.id RETURNING 1
       ), gone_deliveries AS (
         DELETE FROM webhook_deliveries d USING doomed WHERE d.event_id = doomed.id RETURNING 1
       ), gone_events AS (
         DELETE FROM events e USING doomed WHERE e.id = doomed.id RETURNING 1
       )
       SELECT (SELECT count(*)::int FROM gone_events) AS events, (SELECT count(*)::int FROM gone_deliveries) AS deliveries,
              (SELECT count(*)::int FROM gone_attempts) AS attempts`,
      [olderThanMs, batch],
    );
    return rows[0];
  }

  deleteInbound(olderThanMs: number, batch: number): Promise<number> {
    return this.deleteOlder('inbound_webhooks', ['id'], 'received_at', olderThanMs, batch);
  }

  /** Finished keys only: a key still `running` is an answer someone may yet be waiting to replay. */
  deleteIdempotencyKeys(olderThanMs: number, batch: number): Promise<number> {
    return this.deleteOlder('idempotency_keys', ['owner_id', 'key'], 'created_at', olderThanMs, batch, `state = 'done'`);
  }
}
