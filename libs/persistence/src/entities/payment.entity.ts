import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Payee, Payer, PaymentStatus, ProviderName } from '@app/payments';
import { bigintAmount } from './transformers';

@Entity('payments')
export class PaymentEntity {
  @PrimaryColumn('text') id: string;
  /** The API key that created it ("admin" for the admin key): tenancy is enforced on this column. */
  @Column('text', { name: 'owner_id' }) ownerId: string;
  @Column('text') provider: ProviderName;
  @Column('text', { name: 'provider_payment_id', nullable: true }) providerPaymentId: string | null;
  @Column('bigint', { transformer: bigintAmount }) amount: number;
  @Column('text') currency: string;
  @Column('text') description: string;
  @Column('text', { nullable: true }) reference: string | null;
  @Column('text') status: PaymentStatus;
  @Column('text', { name: 'provider_status', nullable: true }) providerStatus: string | null;
  @Column('boolean', { default: false }) archived: boolean;
  @Column('text', { name: 'checkout_url', nullable: true }) checkoutUrl: string | null;
  @Column('jsonb', { nullable: true }) payer: Payer | null;
  @Column('jsonb', { nullable: true }) payee: Payee | null;
  @Column('jsonb', { default: {} }) metadata: Record<string, string>;
  /** Set while a create's outcome at the provider is unknown (timeout, 5xx): reconciliation resolves it. */
  @Column('boolean', { name: 'provider_state_unknown', default: false }) providerStateUnknown: boolean;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt: Date | null;
  /** Bumped on every change; an event's dedupe key includes it. */
  @Column('integer', { default: 0 }) version: number;
  @Column('timestamptz', { name: 'last_checked_at', nullable: true }) lastCheckedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
