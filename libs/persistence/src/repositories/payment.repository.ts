import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { PaymentStatus, ProviderName } from '@app/payments';
import { PaymentEntity } from '../entities/payment.entity';
import { PaymentTransactionEntity } from '../entities/payment-transaction.entity';
import { decodeCursor, encodeCursor, Page } from './page';

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

  async insert(payment: PaymentEntity, manager?: EntityManager): Promise<void> {
    await this.repo(manager).insert(payment);
  }

  /** A payment visible to this owner (null: any owner). */
  async findVisible(id: string, ownerId: string | null): Promise<PaymentEntity | null> {
    return this.repo().findOneBy(ownerId === null ? { id } : { id, ownerId });
  }

  async findByProviderId(provider: ProviderName, providerPaymentId: string): Promise<PaymentEntity | null> {
    return this.repo().findOneBy({ provider, providerPaymentId });
  }

  async findById(id: string, manager?: EntityManager): Promise<PaymentEntity | null> {
    return this.repo(manager).findOneBy({ id });
  }

  /** Row-locks a payment for a read-modify-write inside a transaction. */
  async lockById(manager: EntityManager, id: string): Promise<PaymentEntity | null> {
    return this.repo(manager).createQueryBuilder('p').setLock('pessimistic_write').where('p.id = :id', { id }).getOne();
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
    const query = this.repo().createQueryBuilder('p');
    if (filter.ownerId !== null) query.andWhere('p.owner_id = :owner', { owner: filter.ownerId });
    if (filter.status) query.andWhere('p.status = :status', { status: filter.status });
    if (filter.provider) query.andWhere('p.provider = :provider', { provider: filter.provider });
    if (filter.reference !== undefined) query.andWhere('p.reference = :reference', { reference: filter.reference });
    if (filter.archived !== undefined) query.andWhere('p.archived = :archived', { archived: filter.archived });
    if (filter.cursor) query.andWhere('p.id < :after', { after: decodeCursor(filter.cursor, 'pay') });
    const rows = await query.orderBy('p.id', 'DESC').limit(filter.limit + 1).getMany();
    const data = rows.slice(0, filter.limit);
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
