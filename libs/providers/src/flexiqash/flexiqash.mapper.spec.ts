import { ProviderError, Transaction } from '@app/payments';
import {
  FLEXIQASH_TRANSACTION_CODES,
  FlexiqashTransactionCode,
  flexiqashPaymentStatus,
  flexiqashTimestamp,
  fromFlexiqashPayment,
  fromFlexiqashTransaction,
  fromFlexiqashTransactions,
  isFlexiqashSuccess,
  mapFlexiqashTransactionCode,
  toFlexiqashCreatePayment,
  toFlexiqashUpdatePayment,
} from './flexiqash.mapper';

function recorder() {
  const messages: string[] = [];
  return { messages, logger: { warn: (m: string) => messages.push(m) } };
}

describe('mapFlexiqashTransactionCode', () => {
  // A Record over the union: adding a code to FLEXIQASH_TRANSACTION_CODES without a row here fails to compile.
  const expected: Record<FlexiqashTransactionCode, Transaction['status']> = {
    success: 'succeeded',
    pending: 'pending',
    processing: 'pending',
    failed: 'failed',
    declined: 'failed',
    rejected: 'failed',
    error: 'failed',
    cancelled: 'failed',
    canceled: 'failed',
    expired: 'failed',
  };

  it('maps every known code, case-insensitively, without warnings', () => {
    const { messages, logger } = recorder();
    expect(Object.keys(expected).sort()).toEqual([...FLEXIQASH_TRANSACTION_CODES].sort());
    for (const code of FLEXIQASH_TRANSACTION_CODES) {
      expect([code, mapFlexiqashTransactionCode(code, logger)]).toEqual([code, expected[code]]);
      expect([code, mapFlexiqashTransactionCode(code.toUpperCase(), logger)]).toEqual([code, expected[code]]);
    }
    expect(messages).toEqual([]);
  });

  it('maps an unknown code to pending and warns naming it', () => {
    const { messages, logger } = recorder();
    expect(mapFlexiqashTransactionCode('chargeback', logger)).toBe('pending');
    expect(messages).toEqual([expect.stringContaining('"chargeback"')]);
  });

  it('maps a missing code to pending without a warning', () => {
    const { messages, logger } = recorder();
    expect(mapFlexiqashTransactionCode(null, logger)).toBe('pending');
    expect(mapFlexiqashTransactionCode(undefined, logger)).toBe('pending');
    expect(messages).toEqual([]);
  });
});

describe('fromFlexiqashTransaction', () => {
  const documented = {
    guid: '12345678-1234-1234-1234-123456789012',
    payer: { payer_email: 'john@example.com', payer_name: 'John Smith', payer_reference: 'Membership' },
    payee: { payee_reference: 'Membership' },
    amount_defined: 123.12,
    is_paid: true,
    paid_at: '2024-04-17 19:21:02',
    status: { code: 'success', message: 'APPROVED' },
    created_at: '2024-04-17 19:20:56',
  };

  it('normalizes the document example', () => {
    expect(fromFlexiqashTransaction(documented, 'USD')).toEqual({
      id: '12345678-1234-1234-1234-123456789012',
      object: 'transaction',
      amount: 12312,
      currency: 'USD',
      status: 'succeeded',
      providerStatus: 'success',
      message: 'APPROVED',
      payer: { name: 'John Smith', email: 'john@example.com', reference: 'Membership' },
      paidAt: '2024-04-17T19:21:02.000Z',
      createdAt: '2024-04-17T19:20:56.000Z',
    });
  });

  it('treats is_paid true as succeeded whatever the code', () => {
    expect(fromFlexiqashTransaction({ ...documented, status: { code: 'pending', message: '' } }, 'USD').status).toBe('succeeded');
    expect(fromFlexiqashTransaction({ ...documented, is_paid: false, status: { code: 'declined', message: '' } }, 'USD').status).toBe('failed');
  });

  it('keeps a missing amount as null and refuses an inexact one', () => {
    expect(fromFlexiqashTransaction({ ...documented, amount_defined: null }, 'USD').amount).toBeNull();
    expect(() => fromFlexiqashTransaction({ ...documented, amount_defined: 1.001 }, 'USD')).toThrow(ProviderError);
  });

  it('refuses a transaction without guid or with a non-boolean is_paid', () => {
    expect(() => fromFlexiqashTransaction({ ...documented, guid: undefined }, 'USD')).toThrow(/transaction.guid/);
    expect(() => fromFlexiqashTransaction({ ...documented, is_paid: 'yes' }, 'USD')).toThrow(/is_paid/);
  });

  it('accepts an array or {data: [...]} and refuses anything else', () => {
    expect(fromFlexiqashTransactions([documented], 'USD')).toHaveLength(1);
    expect(fromFlexiqashTransactions({ data: [documented] }, 'USD')).toHaveLength(1);
    try {
      fromFlexiqashTransactions({ transactions: [] }, 'USD');
      throw new Error('did not throw');
    } catch (error) {
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).kind).toBe('bad_response');
    }
  });
});

describe('flexiqashPaymentStatus', () => {
  const tx = (status: Transaction['status'], providerStatus: string, createdAt: string | null): Transaction => ({
    id: providerStatus + createdAt,
    object: 'transaction',
    amount: 100,
    currency: 'USD',
    status,
    providerStatus,
    message: null,
    payer: null,
    paidAt: null,
    createdAt,
  });

  it('is pending with no providerStatus when there is no transaction', () => {
    expect(flexiqashPaymentStatus([])).toEqual({ status: 'pending', providerStatus: null });
  });

  it('is succeeded when any transaction succeeded, even if a later one failed', () => {
    expect(
      flexiqashPaymentStatus([
        tx('succeeded', 'success', '2024-04-17T10:00:00'),
        tx('failed', 'declined', '2024-04-17T11:00:00'),
      ]),
    ).toEqual({ status: 'succeeded', providerStatus: 'success' });
  });

  it('is failed when the latest by createdAt failed, whatever the array order', () => {
    expect(
      flexiqashPaymentStatus([
        tx('failed', 'declined', '2024-04-17T11:00:00'),
        tx('pending', 'pending', '2024-04-17T10:00:00'),
      ]),
    ).toEqual({ status: 'failed', providerStatus: 'declined' });
  });

  it('is pending when the latest attempt is still running after a failure', () => {
    expect(
      flexiqashPaymentStatus([
        tx('failed', 'declined', '2024-04-17T10:00:00'),
        tx('pending', 'processing', '2024-04-17T11:00:00'),
      ]),
    ).toEqual({ status: 'pending', providerStatus: 'processing' });
  });

  it('falls back to array position when timestamps are missing', () => {
    expect(flexiqashPaymentStatus([tx('pending', 'pending', null), tx('failed', 'failed', null)])).toEqual({
      status: 'failed',
      providerStatus: 'failed',
    });
  });
});

describe('fromFlexiqashPayment', () => {
  const documented = {
    guid: '12345678-1234-1234-1234-123456789012',
    name: 'Membership',
    amount: 123.99,
    link: 'https://flexiqash/payment/12345678-1234-1234-1234-123456789012/request',
    payee: { guid: 'g', name: 'Carib Guide Inc', reference: 'pay_123' },
    payer: { name: 'John Smith', email: 'john@example.com', reference: 'r' },
  };

  it('converts 123.99 to 12399 and takes the reference from payee.reference', () => {
    expect(fromFlexiqashPayment(documented, 'USD')).toEqual({
      providerPaymentId: documented.guid,
      amount: 12399,
      currency: 'USD',
      description: 'Membership',
      status: 'pending',
      providerStatus: null,
      checkoutUrl: documented.link,
      reference: 'pay_123',
      expiresAt: null,
    });
  });

  it('uses the currency exponent (KWD has three decimals, JPY none)', () => {
    expect(fromFlexiqashPayment({ ...documented, amount: 1.234 }, 'KWD').amount).toBe(1234);
    expect(fromFlexiqashPayment({ ...documented, amount: 1500 }, 'JPY').amount).toBe(1500);
    expect(() => fromFlexiqashPayment({ ...documented, amount: 1.5 }, 'JPY')).toThrow(ProviderError);
  });

  it('refuses 0.1 + 0.2, a missing amount, or a missing guid as bad_response', () => {
    for (const bad of [{ ...documented, amount: 0.1 + 0.2 }, { ...documented, amount: undefined }, { ...documented, guid: '' }, null, []]) {
      let error: unknown;
      try {
        fromFlexiqashPayment(bad, 'USD');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).kind).toBe('bad_response');
    }
  });
});

describe('request builders', () => {
  const base = {
    gatewayPaymentId: 'pay_1',
    amount: 12399,
    currency: 'USD',
    description: 'Membership',
    reference: 'client-ref',
    payer: null,
    payee: { name: 'Someone', reference: 'client-payee' },
    metadata: { a: 'b' },
  };

  it('sends 12399 USD as the number 123.99 and the gateway id as payee.reference, nothing else', () => {
    const body = toFlexiqashCreatePayment(base);
    expect(body).toEqual({ name: 'Membership', amount: 123.99, payee: { reference: 'pay_1' } });
    expect(JSON.stringify(body)).toBe('{"name":"Membership","amount":123.99,"payee":{"reference":"pay_1"}}');
  });

  it('sends 1 as 0.01, 30 as 0.3 and JPY unchanged', () => {
    expect(toFlexiqashCreatePayment({ ...base, amount: 1 }).amount).toBe(0.01);
    expect(toFlexiqashCreatePayment({ ...base, amount: 30 }).amount).toBe(0.3);
    expect(toFlexiqashCreatePayment({ ...base, amount: 500, currency: 'JPY' }).amount).toBe(500);
  });

  it('includes the payer and its reference only when given', () => {
    expect(toFlexiqashCreatePayment({ ...base, payer: { name: 'A', email: 'a@x.test', reference: 'r1' } }).payer).toEqual({
      name: 'A',
      email: 'a@x.test',
      reference: 'r1',
    });
    expect(toFlexiqashCreatePayment({ ...base, payer: { name: 'A', email: 'a@x.test', reference: null } }).payer).toEqual({
      name: 'A',
      email: 'a@x.test',
    });
  });

  it('builds an update from description and amount only', () => {
    expect(toFlexiqashUpdatePayment({ currency: 'USD', description: 'New', amount: 5, metadata: { x: 'y' } })).toEqual({ name: 'New', amount: 0.05 });
    expect(toFlexiqashUpdatePayment({ currency: 'USD', metadata: { x: 'y' } })).toEqual({});
  });

  it('reads {success: true} and nothing else as success', () => {
    expect(isFlexiqashSuccess({ success: true })).toBe(true);
    expect(isFlexiqashSuccess({ success: 'true' })).toBe(false);
    expect(isFlexiqashSuccess({ success: false })).toBe(false);
    expect(isFlexiqashSuccess(null)).toBe(false);
  });

  it('rewrites FlexiQash timestamps to ISO 8601 in UTC, with the Z the contract promises', () => {
    expect(flexiqashTimestamp('2024-04-17 19:21:02')).toBe('2024-04-17T19:21:02.000Z');
    expect(flexiqashTimestamp('2024-04-17T19:21:02Z')).toBe('2024-04-17T19:21:02.000Z');
    expect(flexiqashTimestamp('2024-04-17 21:21:02+02:00')).toBe('2024-04-17T19:21:02.000Z');
    expect(flexiqashTimestamp('2024-04-17 21:21:02+0200')).toBe('2024-04-17T19:21:02.000Z');
    expect(flexiqashTimestamp('2024-04-17 19:21:02.5')).toBe('2024-04-17T19:21:02.500Z');
    expect(flexiqashTimestamp('yesterday')).toBeNull();
    expect(flexiqashTimestamp('2024-13-45 99:99:99')).toBeNull();
    expect(flexiqashTimestamp(null)).toBeNull();
  });
});
