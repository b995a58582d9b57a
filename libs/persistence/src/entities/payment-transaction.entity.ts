import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAmount } from './transformers';

/** The provider's attempts at a payment, as last read from the provider. */
@Entity('payment_transactions')
export class PaymentTransactionEntity {
  @PrimaryColumn('text', { name: 'payment_id' }) paymentId: string;
  @PrimaryColumn('text', { name: 'provider_transaction_id' }) providerTransactionId: string;
  @Column('bigint', { nullable: true, transformer: bigintAmount }) amount: number | null;
  @Column('text') currency: string;
  @Column('text') status: 'succeeded' | 'failed' | 'pending';
  @Column('text', { name: 'provider_status', nullable: true }) providerStatus: string | null;
  @Column('text', { nullable: true }) message: string | null;
  @Column('jsonb', { nullable: true }) payer: Record<string, string | null> | null;
  @Column('timestamptz', { name: 'paid_at', nullable: true }) paidAt: Date | null;
  @Column('timestamptz', { name: 'provider_created_at', nullable: true }) providerCreatedAt: Date | null;
  @Column('timestamptz', { name: 'seen_at' }) seenAt: Date;
}
