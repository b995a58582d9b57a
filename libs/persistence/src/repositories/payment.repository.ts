import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '@app/common';
import type { PaymentStatus, ProviderName } from '@app/payments';
import { PaymentEntity } from '../entities/payment.entity';
import { PaymentTransactionEntity } from '../entities/payment-transaction.entity';
import { decodeCursor, encodeCursor, Page } from './page';
import { SqlRows, SqlStatement } from './sql-rows';

export interface PaymentListFilter {
  /** null: every owner (admin). */
  ownerId: string | null;
  status?: PaymentStatus;
  provider?: ProviderName;
  reference?: string;
  archived?: boolean;
  limit: number;
  cursor?: string;
}

@Injectable()
export class PaymentRepository {
  /** Plain SQL through SqlRows (column list and conversions from the entity's metadata), as for payouts. */
  private readonly rows: SqlRows<PaymentEntity>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.rows = new SqlRows(dataSource, PaymentEntity, ['id', 'owner_id', 'created_at']);
  }

  async insert(payment: PaymentEntity): Promise<void> {
    const { sql, params } = this.rows.insert(payment);
    await this.dataSource.query(sql, params);
  }

  /** Inserts the payment with its lease held by `leaseToken` for `ttlMs`, in the same statement. */
  async insertLeased(payment: PaymentEntity, leaseToken: string, ttlMs: number): Promise<void> {
    const { sql, params } = this.rows.insertLeased(payment, leaseToken, ttlMs);
    await preparedQuery(this.dataSource, sql, params);
  }

  /**
   * A payment visible to this owner (null: any owner): the read by id, the gateway's most frequent statement, as
   * a prepared statement (`preparedQuery`).
   */
  async findVisible(id: string, ownerId: string | null): Promise<PaymentEntity | null> {
    const rows =
      ownerId === null
        ? await preparedQuery(this.dataSource, `SELECT ${this.rows.columns} FROM payments WHERE id = $1`, [id])
        : await preparedQuery(this.dataSource, `SELECT ${this.rows.columns} FROM payments WHERE id = $1 AND owner_id = $2`, [id, ownerId]);
    return rows[0] ? this.rows.fromRow(rows[0]) : null;
  }

  /**
   * Writes every column of `payment` if the stored row still has version `expectedVersion`, returning `id` when
   * it did: an optimistic write for callers that read the row just before and run this inside one statement.
   * With `releaseLease`, it also requires and gives back that lease.
   */
  updateIfVersion(payment: PaymentEntity, expectedVersion: number, releaseLease?: string): SqlStatement {
    return this.rows.updateIfVersion(payment, expectedVersion, releaseLease);
  }

  private async select(sql: string, params: unknown[], manager?: EntityManager): Promise<PaymentEntity[]> {
    const found: Array<Record<string, unknown>> = await (manager ?? this.dataSource.manager).query(sql, params);
    return found.map((row) => this.rows.fromRow(row));
  }

  async findByProviderId(provider: ProviderName, providerPaymentId: string): Promise<PaymentEntity | null> {
    return (await this.select(`SELECT ${this.rows.columns} FROM payments WHERE provider = $1 AND provider_payment_id = $2 LIMIT 1`, [provider, providerPaymentId]))[0] ?? null;
  }

  async findById(id: string, manager?: EntityManager): Promise<PaymentEntity | null> {
    return (await this.select(`SELECT ${this.rows.columns} FROM payments WHERE id = $1`, [id], manager))[0] ?? null;
  }

  /** Row-locks a payment for a read-modify-write inside a transaction. */
  async lockById(manager: EntityManager, id: string): Promise<PaymentEntity | null> {
    return (await this.select(`SELECT ${this.rows.columns} FROM payments WHERE id = $1 FOR UPDATE`, [id], manager))[0] ?? null;
  }

  /** Writes every column of an existing row that can change, in one UPDATE. */
  async save(payment: PaymentEntity, manager?: EntityManager): Promise<void> {
    const { sql, params } = this.rows.update(payment);
    await (manager ?? this.dataSource.manager).query(sql, params);
  }

  async markChecked(id: string): Promise<void> {
    await this.dataSource.query(`WITH c AS (UPDATE payments SET last_checked_at = now() WHERE id = $1 RETURNING id) SELECT count(*) FROM c`, [id]);
  }

  /** Pending payments not checked at their provider since `checkedBefore`, oldest first. */
  async findStale(createdBefore: Date, checkedBefore: Date, limit: number): Promise<PaymentEntity[]> {
    return this.select(
      `SELECT ${this.rows.columns} FROM payments
        WHERE status = 'pending' AND created_at < $1 AND (last_checked_at IS NULL OR last_checked_at < $2)
        ORDER BY last_checked_at ASC NULLS FIRST LIMIT $3`,
      [createdBefore, checkedBefore, limit],
    );
  }

  async delete(id: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM payments WHERE id = $1`, [id]);
  }

  async list(filter: PaymentListFilter): Promise<Page<PaymentEntity>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (condition: (placeholder: string) => string, value: unknown) => {
      params.push(value);
      where.push(condition(`$${params.length}`));
    };
    if (filter.ownerId !== null) add((p) => `owner_id = ${p}`, filter.ownerId);
    if (filter.status) add((p) => `status = ${p}`, filter.status);
    if (filter.provider) add((p) => `provider = ${p}`, filter.provider);
    if (filter.reference !== undefined) add((p) => `reference = ${p}`, filter.reference);
    if (filter.archived !== undefined) add((p) => `archived = ${p}`, filter.archived);
    if (filter.cursor) add((p) => `id < ${p}`, decodeCursor(filter.cursor, 'pay'));
    params.push(filter.limit + 1);
    const rows: Array<Record<string, any>> = await this.dataSource.query(
      `SELECT ${this.rows.columns} FROM payments ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    const data = rows.slice(0, filter.limit).map((row) => this.rows.fromRow(row));
    return { data, nextCursor: rows.length > filter.limit ? encodeCursor(data[data.length - 1].id) : null };
  }

  async upsertTransactions(rows: PaymentTransactionEntity[]): Promise<void> {
    if (rows.length === 0) return;
    await this.dataSource.getRepository(PaymentTransactionEntity).upsert(rows, ['paymentId', 'providerTransactionId']);
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
