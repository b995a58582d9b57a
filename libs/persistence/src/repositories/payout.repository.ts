import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PayoutEntity } from '../entities/payout.entity';
import { decodeCursor, encodeCursor, Page } from './page';

@Injectable()
export class PayoutRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(PayoutEntity);
  }

  async insert(payout: PayoutEntity): Promise<void> {
    await this.repo.insert(payout);
  }

  /** Writes every column of an existing row in one UPDATE (TypeORM's save() would read the row again first). */
  async save(payout: PayoutEntity, manager?: EntityManager): Promise<void> {
    const { id, ...columns } = payout;
    await (manager ? manager.getRepository(PayoutEntity) : this.repo).update({ id }, columns);
  }

  async findById(id: string): Promise<PayoutEntity | null> {
    return this.repo.findOneBy({ id });
  }

  async lockById(manager: EntityManager, id: string): Promise<PayoutEntity | null> {
    return manager.getRepository(PayoutEntity).createQueryBuilder('p').setLock('pessimistic_write').where('p.id = :id', { id }).getOne();
  }

  async markChecked(id: string): Promise<void> {
    await this.repo.update({ id }, { lastCheckedAt: new Date() });
  }

  async findStale(createdBefore: Date, checkedBefore: Date, limit: number): Promise<PayoutEntity[]> {
    return this.repo
      .createQueryBuilder('p')
      .where(`p.status = 'pending'`)
      .andWhere('p.provider_payout_id IS NOT NULL')
      .andWhere('p.created_at < :createdBefore', { createdBefore })
      .andWhere('(p.last_checked_at IS NULL OR p.last_checked_at < :checkedBefore)', { checkedBefore })
      .orderBy('p.last_checked_at', 'ASC', 'NULLS FIRST')
      .limit(limit)
      .getMany();
  }

  async delete(id: string): Promise<void> {
    await this.repo.delete({ id });
  }

  async findVisible(id: string, ownerId: string | null): Promise<PayoutEntity | null> {
    return this.repo.findOneBy(ownerId === null ? { id } : { id, ownerId });
  }

  async list(ownerId: string | null, limit: number, cursor?: string): Promise<Page<PayoutEntity>> {
    const query = this.repo.createQueryBuilder('p');
    if (ownerId !== null) query.andWhere('p.owner_id = :owner', { owner: ownerId });
    if (cursor) query.andWhere('p.id < :after', { after: decodeCursor(cursor, 'po') });
    const rows = await query.orderBy('p.id', 'DESC').limit(limit + 1).getMany();
    const data = rows.slice(0, limit);
    return { data, nextCursor: rows.length > limit ? encodeCursor(data[data.length - 1].id) : null };
  }
}
