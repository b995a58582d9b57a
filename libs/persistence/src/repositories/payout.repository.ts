import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '@app/common';
import { PayoutEntity } from '../entities/payout.entity';
import { decodeCursor, encodeCursor, Page } from './page';
import { SqlRows, SqlStatement } from './sql-rows';

/** Plain SQL through SqlRows, as for payments: one style for the lifecycle's tables. */
@Injectable()
export class PayoutRepository {
  private readonly rows: SqlRows<PayoutEntity>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.rows = new SqlRows(dataSource, PayoutEntity, ['id', 'owner_id', 'created_at']);
  }

  private async select(sql: string, params: unknown[], manager?: EntityManager): Promise<PayoutEntity[]> {
    const found: Array<Record<string, unknown>> = await (manager ?? this.dataSource.manager).query(sql, params);
    return found.map((row) => this.rows.fromRow(row));
  }

  async insert(payout: PayoutEntity): Promise<void> {
    const { sql, params } = this.rows.insert(payout);
    await this.dataSource.query(sql, params);
  }

  /** Inserts the payout with its lease held by `leaseToken` for `ttlMs`, in the same statement. */
  async insertLeased(payout: PayoutEntity, leaseToken: string, ttlMs: number): Promise<void> {
    const { sql, params } = this.rows.insertLeased(payout, leaseToken, ttlMs);
    await preparedQuery(this.dataSource, sql, params);
  }

  /** As PaymentRepository.updateIfVersion: one conditioned write, optionally giving back the caller's lease. */
  updateIfVersion(payout: PayoutEntity, expectedVersion: number, releaseLease?: string): SqlStatement {
    return this.rows.updateIfVersion(payout, expectedVersion, releaseLease);
  }

  /** Writes every column of an existing row that can change, in one UPDATE. */
  async save(payout: PayoutEntity, manager?: EntityManager): Promise<void> {
    const { sql, params } = this.rows.update(payout);
    await (manager ?? this.dataSource.manager).query(sql, params);
  }

  async findById(id: string): Promise<PayoutEntity | null> {
    return (await this.select(`SELECT ${this.rows.columns} FROM payouts WHERE id = $1`, [id]))[0] ?? null;
  }

  /** Row-locks a payout for a read-modify-write inside a transaction. */
  async lockById(manager: EntityManager, id: string): Promise<PayoutEntity | null> {
    return (await this.select(`SELECT ${this.rows.columns} FROM payouts WHERE id = $1 FOR UPDATE`, [id], manager))[0] ?? null;
  }

  async markChecked(id: string): Promise<void> {
    await this.dataSource.query(`WITH c AS (UPDATE payouts SET last_checked_at = now() WHERE id = $1 RETURNING id) SELECT count(*) FROM c`, [id]);
  }

  async findStale(createdBefore: Date, checkedBefore: Date, limit: number): Promise<PayoutEntity[]> {
    return this.select(
      `SELECT ${this.rows.columns} FROM payouts
        WHERE status = 'pending' AND provider_payout_id IS NOT NULL AND created_at < $1
          AND (last_checked_at IS NULL OR last_checked_at < $2)
        ORDER BY last_checked_at ASC NULLS FIRST LIMIT $3`,
      [createdBefore, checkedBefore, limit],
    );
  }

  async delete(id: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM payouts WHERE id = $1`, [id]);
  }

  async findVisible(id: string, ownerId: string | null): Promise<PayoutEntity | null> {
    const found =
      ownerId === null
        ? await this.select(`SELECT ${this.rows.columns} FROM payouts WHERE id = $1`, [id])
        : await this.select(`SELECT ${this.rows.columns} FROM payouts WHERE id = $1 AND owner_id = $2`, [id, ownerId]);
    return found[0] ?? null;
  }

  async list(ownerId: string | null, limit: number, cursor?: string): Promise<Page<PayoutEntity>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (ownerId !== null) where.push(`owner_id = $${params.push(ownerId)}`);
    if (cursor) where.push(`id < $${params.push(decodeCursor(cursor, 'po'))}`);
    const rows = await this.select(
      `SELECT ${this.rows.columns} FROM payouts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.push(limit + 1)}`,
      params,
    );
    const data = rows.slice(0, limit);
    return { data, nextCursor: rows.length > limit ? encodeCursor(data[data.length - 1].id) : null };
  }

  /** Payouts whose create outcome is unknown, oldest first (ids sort by creation time). */
  async findUnknown(limit: number, after?: string): Promise<PayoutEntity[]> {
    return after
      ? this.select(`SELECT ${this.rows.columns} FROM payouts WHERE provider_state_unknown AND id > $2 ORDER BY id ASC LIMIT $1`, [limit, after])
      : this.select(`SELECT ${this.rows.columns} FROM payouts WHERE provider_state_unknown ORDER BY id ASC LIMIT $1`, [limit]);
  }
}
