import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { RoutingTable } from '@app/payments';
import { RoutingAuditEntity, RoutingSettingsEntity } from '../entities/routing.entity';

@Injectable()
export class RoutingRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async load(): Promise<RoutingSettingsEntity | null> {
    return this.dataSource.getRepository(RoutingSettingsEntity).findOneBy({ id: 1 });
  }

  /** Stores the routing and its audit row in one transaction. */
  async store(routing: RoutingTable, before: RoutingTable, changedBy: string): Promise<void> {
    const now = new Date();
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(RoutingSettingsEntity).save({
        id: 1,
        defaultProvider: routing.defaultProvider,
        currencyRoutes: { ...routing.currencyRoutes },
        updatedBy: changedBy,
        updatedAt: now,
      });
      await manager.getRepository(RoutingAuditEntity).insert({ changedBy, before, after: routing, changedAt: now });
    });
  }
}
