import {
  canPaymentTransition,
  isPaymentMutable,
  nextPaymentStatus,
  nextPayoutStatus,
  PAYMENT_STATUSES,
  PaymentStatus,
} from '@app/payments';

describe('payment status transitions', () => {
  const allowed: Array<[PaymentStatus, PaymentStatus]> = [
    ['pending', 'succeeded'],
    ['pending', 'failed'],
    ['pending', 'cancelled'],
    ['pending', 'expired'],
    ['failed', 'succeeded'],
    ['cancelled', 'succeeded'],
    ['expired', 'succeeded'],
  ];

  it('allows exactly the documented changes (and staying put)', () => {
    for (const from of PAYMENT_STATUSES) {
      for (const to of PAYMENT_STATUSES) {
        const expected = from === to || allowed.some(([a, b]) => a === from && b === to);
        expect([from, to, canPaymentTransition(from, to)]).toEqual([from, to, expected]);
      }
    }
  });

  it('never leaves succeeded', () => {
    for (const to of PAYMENT_STATUSES) expect(nextPaymentStatus('succeeded', to)).toBe('succeeded');
  });

  it('lets a late success win over a failure, cancellation or expiry', () => {
    expect(nextPaymentStatus('failed', 'succeeded')).toBe('succeeded');
    expect(nextPaymentStatus('cancelled', 'succeeded')).toBe('succeeded');
    expect(nextPaymentStatus('expired', 'succeeded')).toBe('succeeded');
  });

  it('keeps a cancelled or failed payment when the provider still says pending or failed', () => {
    expect(nextPaymentStatus('cancelled', 'pending')).toBe('cancelled');
    expect(nextPaymentStatus('cancelled', 'failed')).toBe('cancelled');
    expect(nextPaymentStatus('failed', 'pending')).toBe('failed');
    expect(nextPaymentStatus('expired', 'failed')).toBe('expired');
  });

  it('moves a pending payment to whatever the provider reports', () => {
    expect(nextPaymentStatus('pending', 'failed')).toBe('failed');
    expect(nextPaymentStatus('pending', 'expired')).toBe('expired');
    expect(nextPaymentStatus('pending', 'pending')).toBe('pending');
  });

  it('only pending payments are mutable', () => {
    expect(PAYMENT_STATUSES.filter(isPaymentMutable)).toEqual(['pending']);
  });
});

describe('payout status transitions', () => {
  it('settles once and never changes after', () => {
    expect(nextPayoutStatus('pending', 'succeeded')).toBe('succeeded');
    expect(nextPayoutStatus('pending', 'failed')).toBe('failed');
    expect(nextPayoutStatus('pending', 'pending')).toBe('pending');
    expect(nextPayoutStatus('succeeded', 'failed')).toBe('succeeded');
    expect(nextPayoutStatus('failed', 'succeeded')).toBe('failed');
    expect(nextPayoutStatus('succeeded', 'pending')).toBe('succeeded');
  });
});
