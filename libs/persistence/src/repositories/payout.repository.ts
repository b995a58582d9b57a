import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
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

  async save(payout: PayoutEntity): Promise<void> {
    await this.repo.save(payout);
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
