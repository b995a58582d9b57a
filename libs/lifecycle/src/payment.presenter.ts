import type { Payment, Payout, Transaction } from '@app/payments';
import type { PaymentEntity, PaymentTransactionEntity, PayoutEntity } from '@app/persistence';

export function presentPayment(row: PaymentEntity): Payment {
  return {
    id: row.id,
    object: 'payment',
    provider: row.provider,
    providerPaymentId: row.providerPaymentId,
    amount: row.amount,
    currency: row.currency,
    description: row.description,
    reference: row.reference,
    status: row.status,
    providerStatus: row.providerStatus,
    archived: row.archived,
    checkoutUrl: row.checkoutUrl,
    payer: row.payer,
    payee: row.payee,
    metadata: row.metadata ?? {},
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function presentPayout(row: PayoutEntity): Payout {
  return {
    id: row.id,
    object: 'payout',
    provider: row.provider,
    providerPayoutId: row.providerPayoutId,
    amount: row.amount,
    currency: row.currency,
    status: row.status,
    providerStatus: row.providerStatus,
    destination: row.destination || row.beneficiaryId ? { ...row.destination, beneficiaryId: row.beneficiaryId } : null,
    reference: row.reference,
    description: row.description,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function transactionRow(paymentId: string, tx: Transaction, seenAt: Date): PaymentTransactionEntity {
  return {
    paymentId,
    providerTransactionId: tx.id,
    amount: tx.amount,
    currency: tx.currency,
    status: tx.status,
    providerStatus: tx.providerStatus,
    message: tx.message,
    payer: tx.payer,
    paidAt: toDate(tx.paidAt),
    providerCreatedAt: toDate(tx.createdAt),
    seenAt,
  };
}

function toDate(value: string | null): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
