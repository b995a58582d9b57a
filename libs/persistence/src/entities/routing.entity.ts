import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { ProviderName } from '@app/payments';

/** The routing an operator stored with PUT /admin/routing; one row (id 1). */
@Entity('routing_settings')
export class RoutingSettingsEntity {
  @PrimaryColumn('smallint') id: number;
  @Column('text', { name: 'default_provider' }) defaultProvider: ProviderName;
  @Column('jsonb', { name: 'currency_routes' }) currencyRoutes: Record<string, ProviderName>;
  @Column('text', { name: 'updated_by' }) updatedBy: string;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

@Entity('routing_audit')
export class RoutingAuditEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column('text', { name: 'changed_by' }) changedBy: string;
  @Column('jsonb') before: unknown;
  @Column('jsonb') after: unknown;
  @Column('timestamptz', { name: 'changed_at' }) changedAt: Date;
}
