import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { newId, preparedQuery } from '@app/common';
import type { IdempotencyScope } from './idempotency-scope';

export type LeasedTable = 'payments' | 'payouts';

/**
 * The lifecycle's own SQL beyond the entity rows: the per-resource lease, the link from an Idempotency-Key to the
 * resource created under it, unknown-outcome payouts and their audited resolutions. Every statement returns rows
 * (UPDATEs are wrapped in a CTE), so callers never depend on the driver's shape for an UPDATE.
 */
@Injectable()
export class LifecycleStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Takes the row's lease when it is free or expired: true when taken, null when the row does not exist. */
  async takeLease(table: LeasedTable, id: string, token: string, ttlMs: number): Promise<boolean | null> {
    const rows: Array<{ taken: boolean }> = await this.dataSource.query(
      `WITH taken AS (
         UPDATE ${table} SET lease_token = $2, lease_until = now() + $3 * interval '1 millisecond'
          WHERE id = $1 AND (lease_until IS NULL OR lease_until < now())
          RETURNING id)
       SELECT EXISTS (SELECT 1 FROM taken) AS taken, EXISTS (SELECT 1 FROM ${table} WHERE id = $1) AS present`,
      [id, token, ttlMs],
    );
    const row = rows[0] as { taken: boolean; present?: boolean } & Record<string, unknown>;
    if (row.taken) return true;
    return row.present ? false : null;
  }

  async releaseLease(table: LeasedTable, id: string, token: string): Promise<void> {
    await this.dataSource.query(`WITH r AS (UPDATE ${table} SET lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2 RETURNING id) SELECT count(*) FROM r`, [id, token]);
  }

  /** Records that `scope`'s key created `resourceId`: before the provider is called, so a takeover finds it. */
  async linkIdempotencyKey(scope: IdempotencyScope, resourceId: string): Promise<void> {
    await preparedQuery(
      this.dataSource,
      `WITH l AS (UPDATE idempotency_keys SET resource_id = $3 WHERE owner_id = $1 AND key = $2 RETURNING key) SELECT count(*) FROM l`,
      [scope.ownerId, scope.key, resourceId],
    );
  }

  /** The resource is gone (the provider certainly did nothing): the key no longer names it. */
  async unlinkIdempotencyKeys(resourceId: string): Promise<void> {
    await this.dataSource.query(`WITH l AS (UPDATE idempotency_keys SET resource_id = NULL WHERE resource_id = $1 RETURNING key) SELECT count(*) FROM l`, [resourceId]);
  }

  /** The payout holding this reference for this API key, if any. */
  async payoutByReference(ownerId: string, reference: string): Promise<string | null> {
    const rows: Array<{ id: string }> = await this.dataSource.query(`SELECT id FROM payouts WHERE owner_id = $1 AND reference_key = $2`, [ownerId, reference]);
    return rows[0]?.id ?? null;
  }

  async recordPayoutResolution(
    manager: EntityManager,
    resolution: { payoutId: string; operator: string; outcome: 'paid' | 'failed'; providerPayoutId: string | null; note: string | null },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO payout_resolutions (id, payout_id, operator, outcome, provider_payout_id, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, now())`,
      [newId('res'), resolution.payoutId, resolution.operator, resolution.outcome, resolution.providerPayoutId, resolution.note],
    );
  }
}
