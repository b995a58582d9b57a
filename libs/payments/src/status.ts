import { PaymentStatus, PayoutStatus } from './payment.types';

/**
 * Which status changes a payment may make. A provider's report is the truth about money, so a late success wins
 * over an earlier failure (the payer retried on the same link); nothing leaves `succeeded`, and a payment we
 * cancelled or that expired only leaves that state if the provider reports that money actually moved.
 */
const PAYMENT_TRANSITIONS: Record<PaymentStatus, readonly PaymentStatus[]> = {
  pending: ['succeeded', 'failed', 'cancelled', 'expired'],
  failed: ['succeeded'],
  cancelled: ['succeeded'],
  expired: ['succeeded'],
  succeeded: [],
};

export function canPaymentTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return from === to || PAYMENT_TRANSITIONS[from].includes(to);
}

/** The status to store after a provider reported `reported` for a payment that is `current` now. */
export function nextPaymentStatus(current: PaymentStatus, reported: PaymentStatus): PaymentStatus {
  return canPaymentTransition(current, reported) ? reported : current;
}

/** Changes a client may ask for (update, cancel) only make sense while nothing has happened yet. */
export function isPaymentMutable(status: PaymentStatus): boolean {
  return status === 'pending';
}

const PAYOUT_TRANSITIONS: Record<PayoutStatus, readonly PayoutStatus[]> = {
  pending: ['succeeded', 'failed'],
  failed: [],
  succeeded: [],
};

export function nextPayoutStatus(current: PayoutStatus, reported: PayoutStatus): PayoutStatus {
  return current === reported || PAYOUT_TRANSITIONS[current].includes(reported) ? reported : current;
}
