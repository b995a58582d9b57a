import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { PaymentStatus, ProviderName } from '@app/payments';
import { PaymentEntity } from '../entities/payment.entity';
import { PaymentTransactionEntity } from '../entities/payment-transaction.entity';
import { bigintAmount } from '../entities/transformers';
import { decodeCursor, encodeCursor, Page } from './page';

/** A statement and its parameters, for callers that run it inside a larger one (the outbox's change write). */
export interface SqlStatement {
  sql: string;
  params: unknown[];
}

/**
 * The hot paths (create, read, list, change) use plain SQL with a fixed column list: TypeORM's query building and
 * hydration cost more CPU than the round trip itself. Everything else keeps the repository API.
 */
const COLUMNS = `id, owner_id, provider, provider_payment_id, amount, currency, description, reference, status, provider_status,
  archived, checkout_url, payer, payee, metadata, provider_state_unknown, expires_at, version, last_checked_at, created_at, updated_at`;

/** Never changed after the insert. */
const FIXED_COLUMNS = new Set(['id', 'owner_id', 'created_at']);

function fromRow(row: Record<string, any>): PaymentEntity {
  return {
    id: row.id,
    ownerId: row.owner_id,
    provider: row.provider,
    providerPaymentId: row.provider_payment_id,
    amount: bigintAmount.from(row.amount),
    currency: row.currency,
    description: row.description,
    reference: row.reference,
    status: row.status,
    providerStatus: row.provider_status,
    archived: row.archived,
    checkoutUrl: row.checkout_url,
    payer: row.payer,
    payee: row.payee,
    metadata: row.metadata,
    providerStateUnknown: row.provider_state_unknown,
    expiresAt: row.expires_at,
    version: row.version,
    lastCheckedAt: row.last_checked_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Every column in COLUMNS order, as parameters. JSON columns go as text: node-pg would send an array as a Postgres array. */
function toParams(p: PaymentEntity): unknown[] {
  const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
  return [
    p.id, p.ownerId, p.provider, p.providerPaymentId, p.amount, p.currency, p.description, p.reference, p.status, p.providerStatus,
    p.archived, p.checkoutUrl, json(p.payer), json(p.payee), json(p.metadata ?? {}), p.providerStateUnknown, p.expiresAt, p.version,
    p.lastCheckedAt, p.createdAt, p.updatedAt,
  ];
}

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
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private repo(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(PaymentEntity);
  }

  async insert(payment: PaymentEntity): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO payments (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
      toParams(payment),
    );
  }

  /** A payment visible to this owner (null: any owner). */
  async findVisible(id: string, ownerId: string | null): Promise<PaymentEntity | null> {
    const rows: Array<Record<string, any>> =
      ownerId === null
        ? await this.dataSource.query(`SELECT ${COLUMNS} FROM payments WHERE id = $1`, [id])
        : await this.dataSource.query(`SELECT ${COLUMNS} FROM payments WHERE id = $1 AND owner_id = $2`, [id, ownerId]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /**
   * Writes every column of `payment` if the stored row still has version `expectedVersion`, returning `id` when
   * it did: an optimistic write for callers that read the row just before and run this inside one statement.
   */
  updateIfVersion(payment: PaymentEntity, expectedVersion: number): SqlStatement {
    const values = toParams(payment);
    const params: unknown[] = [payment.id];
    const assignments = COLUMNS.split(',')
      .map((column, i) => ({ column: column.trim(), value: values[i] }))
      .filter(({ column }) => !FIXED_COLUMNS.has(column))
      .map(({ column, value }) => `${column} = $${params.push(value)}`)
      .join(', ');
    return {
      sql: `UPDATE payments SET ${assignments} WHERE id = $1 AND version = $${params.push(expectedVersion)} RETURNING id`,
      params,
    };
  }

  async findByProviderId(provider: ProviderName, providerPaymentId: string): Promise<PaymentEntity | null> {
    return this.repo().findOneBy({ provider, providerPaymentId });
  }

  async findById(id: string, manager?: EntityManager): Promise<PaymentEntity | null> {
    return this.repo(manager).findOneBy({ id });
  }

  /** Row-locks a payment for a read-modify-write inside a transaction. */
  async lockById(manager: EntityManager, id: string): Promise<PaymentEntity | null> {
    const rows: Array<Record<string, any>> = await manager.query(`SELECT ${COLUMNS} FROM payments WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /** Writes every column of an existing row in one UPDATE (TypeORM's save() would read the row again first). */
  async save(payment: PaymentEntity, manager?: EntityManager): Promise<void> {
    const { id, ...columns } = payment;
    await this.repo(manager).update({ id }, columns);
  }

  async markChecked(id: string): Promise<void> {
    await this.repo().update({ id }, { lastCheckedAt: new Date() });
  }

  /** Pending payments not checked at their provider since `checkedBefore`, oldest first. */
  async findStale(createdBefore: Date, checkedBefore: Date, limit: number): Promise<PaymentEntity[]> {
    return this.repo()
      .createQueryBuilder('p')
      .where(`p.status = 'pending'`)
      .andWhere('p.created_at < :createdBefore', { createdBefore })
      .andWhere('(p.last_checked_at IS NULL OR p.last_checked_at < :checkedBefore)', { checkedBefore })
      .orderBy('p.last_checked_at', 'ASC', 'NULLS FIRST')
      .limit(limit)
      .getMany();
  }

  async delete(id: string): Promise<void> {
    await this.repo().delete({ id });
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
      `SELECT ${COLUMNS} FROM payments ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    const data = rows.slice(0, filter.limit).map(fromRow);
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
