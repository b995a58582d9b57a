import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface IdempotencyRecord {
  fingerprint: string;
  state: 'running' | 'done';
  responseStatus: number | null;
  responseBody: unknown;
  createdAt: Date;
}

export const IDEMPOTENCY_WINDOW_HOURS = 24;

@Injectable()
export class IdempotencyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Claims the key for this request. Returns null when the claim won (the caller runs the request), else the
   * record that holds the key. A record older than the window is replaced, as if it had been pruned.
   */
  async claim(ownerId: string, key: string, fingerprint: string): Promise<IdempotencyRecord | null> {
    const rows: Array<{ inserted: boolean; fingerprint: string; state: 'running' | 'done'; response_status: number | null; response_body: unknown; created_at: Date }> =
      await this.dataSource.query(
        `INSERT INTO idempotency_keys (owner_id, key, fingerprint, state, created_at)
         VALUES ($1, $2, $3, 'running', now())
         ON CONFLICT (owner_id, key) DO UPDATE
           SET fingerprint = EXCLUDED.fingerprint, state = 'running', response_status = NULL, response_body = NULL, created_at = now()
           WHERE idempotency_keys.created_at < now() - interval '${IDEMPOTENCY_WINDOW_HOURS} hours'
         RETURNING true AS inserted, fingerprint, state, response_status, response_body, created_at`,
        [ownerId, key, fingerprint],
      );
    if (rows.length > 0) return null;
    const existing: typeof rows = await this.dataSource.query(
      `SELECT fingerprint, state, response_status, response_body, created_at FROM idempotency_keys WHERE owner_id = $1 AND key = $2`,
      [ownerId, key],
    );
    if (existing.length === 0) return this.claim(ownerId, key, fingerprint); // pruned in between
    const row = existing[0];
    return { fingerprint: row.fingerprint, state: row.state, responseStatus: row.response_status, responseBody: row.response_body, createdAt: row.created_at };
  }

  async complete(ownerId: string, key: string, status: number, body: unknown): Promise<void> {
    await this.dataSource.query(
      `UPDATE idempotency_keys SET state = 'done', response_status = $3, response_body = $4 WHERE owner_id = $1 AND key = $2`,
      [ownerId, key, status, JSON.stringify(body ?? null)],
    );
  }

  /** Gives the key back: the request had no effect, so a retry with the same key may run it. */
  async release(ownerId: string, key: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM idempotency_keys WHERE owner_id = $1 AND key = $2 AND state = 'running'`, [ownerId, key]);
  }

  async prune(): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE created_at < now() - interval '${IDEMPOTENCY_WINDOW_HOURS} hours'`,
    );
    return Array.isArray(result) ? (result[1] ?? 0) : 0;
  }
}
