import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { BankDestination, PayoutStatus, ProviderName } from '@app/payments';
import { bigintAmount } from './transformers';

@Entity('payouts')
export class PayoutEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'owner_id' }) ownerId: string;
  @Column('text') provider: ProviderName;
  @Column('text', { name: 'provider_payout_id', nullable: true }) providerPayoutId: string | null;
  @Column('bigint', { transformer: bigintAmount }) amount: number;
  @Column('text') currency: string;
  @Column('text') status: PayoutStatus;
  @Column('text', { name: 'provider_status', nullable: true }) providerStatus: string | null;
  @Column('text', { name: 'beneficiary_id', nullable: true }) beneficiaryId: string | null;
  @Column('jsonb', { nullable: true }) destination: BankDestination | null;
  @Column('text', { nullable: true }) reference: string | null;
  /** The reference this payout holds exclusively within its API key (unique per owner); null for none. */
  @Column('text', { name: 'reference_key', nullable: true }) referenceKey: string | null;
  @Column('text', { nullable: true }) description: string | null;
  @Column('boolean', { name: 'provider_state_unknown', default: false }) providerStateUnknown: boolean;
  /** Bumped on every change; an event's dedupe key includes it. */
  @Column('integer', { default: 0 }) version: number;
  @Column('timestamptz', { name: 'last_checked_at', nullable: true }) lastCheckedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
