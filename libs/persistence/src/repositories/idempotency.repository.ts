import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { preparedQuery } from '@app/common';

export interface IdempotencyRecord {
  fingerprint: string;
  state: 'running' | 'done';
  responseStatus: number | null;
  responseBody: unknown;
  /** The payment or payout created under this key, once its row exists. */
  resourceId: string | null;
  createdAt: Date;
}

/**
 * `won`: this request holds the key and runs. `takeover`: the key was claimed by an instance that stopped renewing
 * its lease (it died); this request now holds it, and `resourceId` is what that instance had created, if anything.
 * `held`: another request holds or held the key; its record.
 */
export type IdempotencyClaim =
  | { kind: 'won' }
  | { kind: 'takeover'; resourceId: string | null }
  | { kind: 'held'; record: IdempotencyRecord };

export const IDEMPOTENCY_WINDOW_HOURS = 24;

type Row = { fingerprint: string; state: 'running' | 'done'; response_status: number | null; response_body: unknown; resource_id: string | null; created_at: Date };

/**
 * Idempotency-Keys. A running key carries a lease (`lease_token`, `lease_until`) that its instance renews while the
 * request runs; every change of a running key is conditioned on the lease token, so an instance that lost its
 * lease to a takeover cannot release or overwrite it. The fixed statements run prepared (preparedQuery).
 */
@Injectable()
export class IdempotencyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Claims the key for this request. A record older than the window is replaced, as if it had been pruned; a
   * running one whose lease has expired is taken over when the request is the same (same fingerprint).
   */
  async claim(ownerId: string, key: string, fingerprint: string, token: string, leaseMs: number): Promise<IdempotencyClaim> {
    const inserted: unknown[] = await preparedQuery(
      this.dataSource,
      `INSERT INTO idempotency_keys (owner_id, key, fingerprint, state, created_at, lease_token, lease_until)
       VALUES ($1, $2, $3, 'running', now(), $4, now() + $5 * interval '1 millisecond')
       ON CONFLICT (owner_id, key) DO UPDATE
         SET fingerprint = EXCLUDED.fingerprint, state = 'running', response_status = NULL, response_body = NULL,
             created_at = now(), lease_token = EXCLUDED.lease_token, lease_until = EXCLUDED.lease_until, resource_id = NULL
         WHERE idempotency_keys.created_at < now() - interval '${IDEMPOTENCY_WINDOW_HOURS} hours'
       RETURNING key`,
      [ownerId, key, fingerprint, token, leaseMs],
    );
    if (inserted.length > 0) return { kind: 'won' };
    const taken: Array<{ resource_id: string | null }> = await preparedQuery(
      this.dataSource,
      `WITH taken AS (
         UPDATE idempotency_keys SET lease_token = $4, lease_until = now() + $5 * interval '1 millisecond'
          WHERE owner_id = $1 AND key = $2 AND fingerprint = $3 AND state = 'running' AND lease_until < now()
          RETURNING resource_id)
       SELECT resource_id FROM taken`,
      [ownerId, key, fingerprint, token, leaseMs],
    );
    if (taken.length > 0) return { kind: 'takeover', resourceId: taken[0].resource_id };
    const existing: Row[] = await preparedQuery(
      this.dataSource,
      `SELECT fingerprint, state, response_status, response_body, resource_id, created_at FROM idempotency_keys WHERE owner_id = $1 AND key = $2`,
      [ownerId, key],
    );
    if (existing.length === 0) return this.claim(ownerId, key, fingerprint, token, leaseMs); // pruned in between
    const row = existing[0];
    return {
      kind: 'held',
      record: {
        fingerprint: row.fingerprint,
        state: row.state,
        responseStatus: row.response_status,
        responseBody: row.response_body,
        resourceId: row.resource_id,
        createdAt: row.created_at,
      },
    };
  }

  /** Extends the lease while the request runs; false when it was taken over meanwhile. */
  async renew(ownerId: string, key: string, token: string, leaseMs: number): Promise<boolean> {
    const rows: unknown[] = await preparedQuery(
      this.dataSource,
      `WITH renewed AS (
         UPDATE idempotency_keys SET lease_until = now() + $4 * interval '1 millisecond'
          WHERE owner_id = $1 AND key = $2 AND lease_token = $3 AND state = 'running'
          RETURNING key)
       SELECT key FROM renewed`,
      [ownerId, key, token, leaseMs],
    );
    return rows.length > 0;
  }

  /** Stores the answer. `token` null: overwrite a stored answer (a recovered resource replaces its error). */
  async complete(ownerId: string, key: string, token: string | null, status: number, body: unknown): Promise<void> {
    await preparedQuery(
      this.dataSource,
      `WITH done AS (
         UPDATE idempotency_keys SET state = 'done', response_status = $4, response_body = $5, lease_token = NULL, lease_until = NULL
          WHERE owner_id = $1 AND key = $2 AND (lease_token = $3 OR ($3::text IS NULL AND state = 'done'))
          RETURNING key)
       SELECT key FROM done`,
      [ownerId, key, token, status, JSON.stringify(body ?? null)],
    );
  }

  /** The resource created under this key, if any. */
  async resourceOf(ownerId: string, key: string): Promise<string | null> {
    const rows: Array<{ resource_id: string | null }> = await preparedQuery(
      this.dataSource,
      `SELECT resource_id FROM idempotency_keys WHERE owner_id = $1 AND key = $2`,
      [ownerId, key],
    );
    return rows[0]?.resource_id ?? null;
  }

  /**
   * Gives the key back: the request had no effect, so a retry with the same key may run it. Never a key that names
   * a resource: a failure after the row was written keeps the key, so a retry cannot create a second one.
   */
  async release(ownerId: string, key: string, token: string): Promise<void> {
    await preparedQuery(
      this.dataSource,
      `DELETE FROM idempotency_keys WHERE owner_id = $1 AND key = $2 AND state = 'running' AND lease_token = $3 AND resource_id IS NULL`,
      [ownerId, key, token],
    );
  }

  async prune(): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE created_at < now() - interval '${IDEMPOTENCY_WINDOW_HOURS} hours'`,
    );
    return Array.isArray(result) ? (result[1] ?? 0) : 0;
  }
}
