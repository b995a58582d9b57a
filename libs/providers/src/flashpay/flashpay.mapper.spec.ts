import { PaymentStatus, PayoutStatus, ProviderError } from '@app/payments';
import {
  FLASHPAY_PAYMENT_STATUSES,
  FLASHPAY_PAYOUT_STATUSES,
  FlashpayPaymentStatus,
  FlashpayPayoutStatus,
  flashpayCheckoutUrl,
  fromFlashpayBeneficiaries,
  fromFlashpayPayment,
  fromFlashpayPayout,
  mapFlashpayPaymentStatus,
  mapFlashpayPayoutStatus,
  toFlashpayCreatePayment,
  toFlashpayCreatePayout,
} from './flashpay.mapper';
import { flashpayPaths } from './flashpay.paths';

function recorder() {
  const messages: string[] = [];
  return { messages, logger: { warn: (m: string) => messages.push(m) } };
}

const DOCUMENT_EXAMPLE = {
  id: 'szokiqnitlsqbi1g1fp9vhwo',
  amount: 1080000,
  ownerId: 'k235v1ujhhnpwv0zmyk4by6t',
  currency: 'NGN',
  reference: 'somerandomreferenceforwatch2',
  originBankId: null,
  originAccount: null,
  originAccountName: null,
  destinationBankId: 'dqv8ldz5mk4eu7ykcvrr8g84',
  destinationAccount: '1234ABCXXX',
  destinationAccountName: 'Alphabets Inc',
  description: 'Watch purchase',
  status: 'OPEN',
  callbackUrl: 'https://pay.flashpayweb.com',
  statusWebhook: null,
  createdAt: '2024-06-24T16:09:59.085Z',
  updatedAt: null,
  expiresAt: null,
};

describe('mapFlashpayPaymentStatus', () => {
  // Exhaustive by type: a new value in FLASHPAY_PAYMENT_STATUSES without a row here does not compile.
  const expected: Record<FlashpayPaymentStatus, PaymentStatus> = {
    OPEN: 'pending',
    PENDING: 'pending',
    PROCESSING: 'pending',
    PAID: 'succeeded',
    SUCCESS: 'succeeded',
    SUCCESSFUL: 'succeeded',
    COMPLETED: 'succeeded',
    FAILED: 'failed',
    DECLINED: 'failed',
    REJECTED: 'failed',
    CANCELLED: 'cancelled',
    CANCELED: 'cancelled',
    EXPIRED: 'expired',
  };

  it('maps every known value (any case) without warnings', () => {
    const { messages, logger } = recorder();
    expect(Object.keys(expected).sort()).toEqual([...FLASHPAY_PAYMENT_STATUSES].sort());
    for (const value of FLASHPAY_PAYMENT_STATUSES) {
      expect([value, mapFlashpayPaymentStatus(value, logger)]).toEqual([value, expected[value]]);
      expect([value, mapFlashpayPaymentStatus(value.toLowerCase(), logger)]).toEqual([value, expected[value]]);
    }
    expect(messages).toEqual([]);
  });

  it('maps an unknown value to pending and warns naming it', () => {
    const { messages, logger } = recorder();
    expect(mapFlashpayPaymentStatus('REFUNDED', logger)).toBe('pending');
    expect(messages).toEqual([expect.stringContaining('"REFUNDED"')]);
  });

  it('keeps the unknown raw value as providerStatus', () => {
    const { logger } = recorder();
    expect(fromFlashpayPayment({ ...DOCUMENT_EXAMPLE, status: 'Refunded' }, { checkoutUrlFor: () => null, logger })).toMatchObject({
      status: 'pending',
      providerStatus: 'Refunded',
    });
  });
});

describe('mapFlashpayPayoutStatus', () => {
  const expected: Record<FlashpayPayoutStatus, PayoutStatus> = {
    PENDING: 'pending',
    PROCESSING: 'pending',
    SUCCESSFUL: 'succeeded',
    SUCCESS: 'succeeded',
    PAID: 'succeeded',
    COMPLETED: 'succeeded',
    FAILED: 'failed',
    REVERSED: 'failed',
    REJECTED: 'failed',
  };

  it('maps every known value without warnings, and an unknown one to pending with a warning', () => {
    const { messages, logger } = recorder();
    expect(Object.keys(expected).sort()).toEqual([...FLASHPAY_PAYOUT_STATUSES].sort());
    for (const value of FLASHPAY_PAYOUT_STATUSES) expect([value, mapFlashpayPayoutStatus(value, logger)]).toEqual([value, expected[value]]);
    expect(messages).toEqual([]);
    expect(mapFlashpayPayoutStatus('OPEN', logger)).toBe('pending');
    expect(messages).toEqual([expect.stringContaining('"OPEN"')]);
  });
});

describe('fromFlashpayPayment', () => {
  const context = { checkoutUrlFor: (id: string) => `https://fp.test/checkout/${id}` };

  it('maps the document example', () => {
    expect(fromFlashpayPayment(DOCUMENT_EXAMPLE, context)).toEqual({
      providerPaymentId: 'szokiqnitlsqbi1g1fp9vhwo',
      amount: 1080000,
      currency: 'NGN',
      description: 'Watch purchase',
      status: 'pending',
      providerStatus: 'OPEN',
      checkoutUrl: 'https://fp.test/checkout/szokiqnitlsqbi1g1fp9vhwo',
      reference: 'somerandomreferenceforwatch2',
      expiresAt: null,
    });
  });

  it.each([
    ['a fractional amount', { amount: 10.5 }],
    ['an amount as a string', { amount: '1080000' }],
    ['an amount past 2^53', { amount: 2 ** 53 }],
    ['an unknown currency', { currency: 'ZZZ' }],
    ['no id', { id: undefined }],
    ['no status', { status: null }],
  ])('refuses %s as bad_response', (_, patch) => {
    let error: unknown;
    try {
      fromFlashpayPayment({ ...DOCUMENT_EXAMPLE, ...patch }, context);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('bad_response');
  });
});

describe('fromFlashpayPayout and beneficiaries', () => {
  it('maps a payout with its destination', () => {
    expect(
      fromFlashpayPayout({
        id: 'po1',
        amount: 5000,
        currency: 'NGN',
        reference: 'po_gw',
        status: 'COMPLETED',
        destinationBankId: 'b',
        destinationAccount: '1',
        destinationAccountName: 'N',
      }),
    ).toEqual({
      providerPayoutId: 'po1',
      amount: 5000,
      currency: 'NGN',
      status: 'succeeded',
      providerStatus: 'COMPLETED',
      destination: { bankId: 'b', accountNumber: '1', accountName: 'N' },
      reference: 'po_gw',
    });
  });

  it('leaves an incomplete destination as null', () => {
    expect(fromFlashpayPayout({ id: 'po1', amount: 1, currency: 'NGN', reference: null, status: 'PENDING', destinationBankId: 'b' }).destination).toBeNull();
  });

  it('refuses a beneficiary with a missing field', () => {
    expect(() => fromFlashpayBeneficiaries({ data: [{ id: 'b', name: 'n', bankId: 'x', accountNumber: '1' }] })).toThrow(/accountName/);
  });
});

describe('request builders', () => {
  const payment = {
    gatewayPaymentId: 'pay_1',
    amount: 1999,
    currency: 'NGN',
    description: 'Shoes',
    reference: 'client-ref',
    payer: null,
    payee: { bankId: 'bank', accountNumber: '123', accountName: 'Shop' },
    metadata: {},
  };

  it('sends integer minor units unchanged, our id as reference, client reference kept out', () => {
    expect(toFlashpayCreatePayment(payment, 'https://gw.test/webhooks/flashpay')).toEqual({
      amount: 1999,
      currency: 'NGN',
      reference: 'pay_1',
      description: 'Shoes',
      destinationBankId: 'bank',
      destinationAccount: '123',
      destinationAccountName: 'Shop',
      statusWebhook: 'https://gw.test/webhooks/flashpay',
    });
  });

  it('refuses a non-integer amount', () => {
    expect(() => toFlashpayCreatePayment({ ...payment, amount: 19.99 }, 'https://gw.test/webhooks/flashpay')).toThrow();
  });

  it('builds a payout to a beneficiary or to a destination, and refuses neither', () => {
    const payout = { gatewayPayoutId: 'po_1', amount: 100, currency: 'NGN', reference: null, description: null };
    expect(toFlashpayCreatePayout({ ...payout, beneficiaryId: 'ben', destination: null })).toEqual({
      amount: 100,
      currency: 'NGN',
      reference: 'po_1',
      beneficiaryId: 'ben',
    });
    expect(
      toFlashpayCreatePayout({ ...payout, description: 'd', beneficiaryId: null, destination: { bankId: 'b', accountNumber: '1', accountName: 'N' } }),
    ).toEqual({ amount: 100, currency: 'NGN', reference: 'po_1', description: 'd', destinationBankId: 'b', destinationAccount: '1', destinationAccountName: 'N' });
    expect(() => toFlashpayCreatePayout({ ...payout, beneficiaryId: null, destination: null })).toThrow(/beneficiaryId or a destination/);
  });
});

describe('paths and checkout URL', () => {
  it('puts every path under the base path and encodes ids', () => {
    const paths = flashpayPaths('/api/v1/');
    expect(paths.payments).toBe('/api/v1/payment');
    expect(paths.payment('a/b c')).toBe('/api/v1/payment/a%2Fb%20c');
    expect(paths.beneficiaries).toBe('/api/v1/beneficiaries');
    expect(paths.payouts).toBe('/api/v1/payout');
    expect(paths.payout('x')).toBe('/api/v1/payout/x');
    expect(flashpayPaths('').payments).toBe('/payment');
  });

  it('fills {baseUrl} and {id} in the template', () => {
    expect(flashpayCheckoutUrl('{baseUrl}/checkout/{id}', 'https://fp.test/', 'abc')).toBe('https://fp.test/checkout/abc');
    expect(flashpayCheckoutUrl('https://x.test/{id}/{id}', 'https://fp.test', 'a b')).toBe('https://x.test/a%20b/a%20b');
  });
});
