import { CapabilityError, CreateProviderPaymentInput, CreateProviderPayoutInput, ProviderError, requireCapability } from '@app/payments';
import { FlashpayProvider } from './flashpay.provider';
import { FlashpayFake } from '../../test-support/flashpay-fake';
import { caught, closedPortUrl, FLASHPAY_TEST_TOKEN, testConfig } from '../../test-support/test-config';

const FAST = { retryDelaysMs: [5, 10] };

function paymentInput(overrides: Partial<CreateProviderPaymentInput> = {}): CreateProviderPaymentInput {
  return {
    gatewayPaymentId: 'pay_01J00000000000000000000000',
    amount: 1080000,
    currency: 'NGN',
    description: 'Watch purchase',
    reference: 'client-order-7',
    payer: { name: 'Ada', email: 'ada@example.com' },
    payee: { bankId: 'dqv8ldz5mk4eu7ykcvrr8g84', accountNumber: '1234ABCXXX', accountName: 'Alphabets Inc' },
    metadata: {},
    ...overrides,
  };
}

function payoutInput(overrides: Partial<CreateProviderPayoutInput> = {}): CreateProviderPayoutInput {
  return {
    gatewayPayoutId: 'po_01J00000000000000000000000',
    amount: 250000,
    currency: 'NGN',
    beneficiaryId: 'ben_1',
    destination: null,
    reference: 'client-payout-1',
    description: 'Refund',
    ...overrides,
  };
}

describe('FlashpayProvider against a strict fake of the document and the README assumptions', () => {
  const fake = new FlashpayFake(FLASHPAY_TEST_TOKEN);
  let provider: FlashpayProvider;
  const made: FlashpayProvider[] = [];
  const errors: unknown[] = [];
  const warnings: string[] = [];

  function make(env: Record<string, string> = {}): FlashpayProvider {
    const config = testConfig({ FLASHPAY_BASE_URL: fake.server.url, ...env });
    const p = new FlashpayProvider(config, undefined, { ...FAST, logger: { warn: (m) => warnings.push(m) } });
    made.push(p);
    return p;
  }

  async function failure(fn: () => Promise<unknown>): Promise<ProviderError> {
    const error = await caught(fn);
    errors.push(error);
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }

  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => {
    made.forEach((p) => p.onApplicationShutdown());
    await fake.stop();
    expect(errors.length).toBeGreaterThan(5);
    for (const error of errors) expect(String((error as Error).message)).not.toContain(FLASHPAY_TEST_TOKEN);
  });
  beforeEach(() => {
    fake.server.reset();
    fake.payments.clear();
    fake.payouts.clear();
    fake.bareLists = false;
    fake.allowWrongToken = false;
    warnings.length = 0;
    provider = make();
  });
  afterEach(() => {
    expect(fake.violations).toEqual([]);
  });

  it('declares its name, capabilities and configured currencies', () => {
    expect(provider.name).toBe('flashpay');
    expect(FlashpayProvider.identifier).toBe('flashpay');
    expect([...provider.capabilities].sort()).toEqual(
      ['beneficiaries.list', 'payments.create', 'payments.list', 'payments.read', 'payouts.create', 'payouts.read'].sort(),
    );
    expect(provider.currencies).toEqual(['NGN', 'GHS']);
    for (const missing of ['payments.update', 'payments.cancel', 'payments.archive', 'payments.transactions'] as const) {
      expect(() => requireCapability(provider, missing)).toThrow(CapabilityError);
    }
  });

  describe('createPayment', () => {
    it('POSTs {base}/payment with integer minor units, our id as reference and the webhook URL', async () => {
      const created = await provider.createPayment(paymentInput());
      const [request] = fake.server.requests;
      expect(`${request.method} ${request.path}`).toBe('POST /api/v1/payment');
      expect(request.headers.authorization).toBe(`Bearer ${FLASHPAY_TEST_TOKEN}`);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.body).toEqual({
        amount: 1080000,
        currency: 'NGN',
        reference: 'pay_01J00000000000000000000000',
        description: 'Watch purchase',
        destinationBankId: 'dqv8ldz5mk4eu7ykcvrr8g84',
        destinationAccount: '1234ABCXXX',
        destinationAccountName: 'Alphabets Inc',
        statusWebhook: 'https://gateway.example.test/webhooks/flashpay',
      });
      expect(created).toEqual({
        providerPaymentId: created.providerPaymentId,
        amount: 1080000,
        currency: 'NGN',
        description: 'Watch purchase',
        status: 'pending',
        providerStatus: 'OPEN',
        checkoutUrl: `${fake.server.url}/checkout/${created.providerPaymentId}`,
        reference: 'pay_01J00000000000000000000000',
        expiresAt: null,
      });
      expect(fake.payments.has(created.providerPaymentId)).toBe(true);
    });

    it('leaves out destination fields the payee does not give', async () => {
      await provider.createPayment(paymentInput({ payee: null, currency: 'GHS', amount: 1 }));
      expect(fake.server.requests[0].body).toEqual({
        amount: 1,
        currency: 'GHS',
        reference: 'pay_01J00000000000000000000000',
        description: 'Watch purchase',
        statusWebhook: 'https://gateway.example.test/webhooks/flashpay',
      });
    });

    it('refuses a currency it does not take, before any request', async () => {
      await expect(provider.createPayment(paymentInput({ currency: 'USD' }))).rejects.toThrow(CapabilityError);
      expect(fake.server.requests).toHaveLength(0);
    });

    it('is never retried after 500, a timeout or a dropped connection', async () => {
      fake.server.override('POST', '/api/v1/payment', { status: 500, json: { message: 'boom' } }, 1);
      expect(await failure(() => provider.createPayment(paymentInput()))).toMatchObject({ kind: 'server', retryable: false, providerStatus: 500 });
      expect(fake.server.count('POST', '/api/v1/payment')).toBe(1);

      fake.server.override('POST', '/api/v1/payment', { destroy: true }, 1);
      expect(await failure(() => provider.createPayment(paymentInput()))).toMatchObject({ kind: 'server', retryable: false });
      expect(fake.server.count('POST', '/api/v1/payment')).toBe(2);

      const quick = make({ PROVIDER_TIMEOUT_MS: '80' });
      fake.server.override('POST', '/api/v1/payment', { hang: true }, 1);
      expect(await failure(() => quick.createPayment(paymentInput()))).toMatchObject({ kind: 'timeout', retryable: false });
      expect(fake.server.count('POST', '/api/v1/payment')).toBe(3);
    });

    it('uses the checkout URL template', async () => {
      const templated = make({ FLASHPAY_CHECKOUT_URL_TEMPLATE: 'https://pay.example.test/c/{id}?from={baseUrl}' });
      const created = await templated.createPayment(paymentInput());
      expect(created.checkoutUrl).toBe(`https://pay.example.test/c/${created.providerPaymentId}?from=${fake.server.url}`);
    });
  });

  describe('getPayment', () => {
    it('reads GET {base}/payment/{id} and maps the document example exactly', async () => {
      const seeded = fake.seedPayment({ id: 'szokiqnitlsqbi1g1fp9vhwo' });
      const payment = await provider.getPayment(seeded.id);
      expect(fake.server.requests.map((r) => `${r.method} ${r.path} ${r.rawBody}`)).toEqual(['GET /api/v1/payment/szokiqnitlsqbi1g1fp9vhwo ']);
      expect(payment).toEqual({
        providerPaymentId: 'szokiqnitlsqbi1g1fp9vhwo',
        amount: 1080000,
        currency: 'NGN',
        description: 'Watch purchase',
        status: 'pending',
        providerStatus: 'OPEN',
        checkoutUrl: `${fake.server.url}/checkout/szokiqnitlsqbi1g1fp9vhwo`,
        reference: 'somerandomreferenceforwatch2',
        expiresAt: null,
      });
    });

    it.each([
      ['PAID', 'succeeded'],
      ['SUCCESSFUL', 'succeeded'],
      ['DECLINED', 'failed'],
      ['CANCELLED', 'cancelled'],
      ['EXPIRED', 'expired'],
      ['PROCESSING', 'pending'],
    ])('maps status %s to %s', async (raw, status) => {
      const seeded = fake.seedPayment({ status: raw });
      await expect(provider.getPayment(seeded.id)).resolves.toMatchObject({ status, providerStatus: raw });
      expect(warnings).toEqual([]);
    });

    it('keeps OPEN past expiresAt (expiry is the gateway reconciliation’s call) and returns expiresAt', async () => {
      const seeded = fake.seedPayment({ status: 'OPEN', expiresAt: '2000-01-01T00:00:00.000Z' });
      await expect(provider.getPayment(seeded.id)).resolves.toMatchObject({ status: 'pending', expiresAt: '2000-01-01T00:00:00.000Z' });
    });

    it('reports an unknown status as pending, keeps it, and warns naming it', async () => {
      const seeded = fake.seedPayment({ status: 'ON_HOLD' });
      await expect(provider.getPayment(seeded.id)).resolves.toMatchObject({ status: 'pending', providerStatus: 'ON_HOLD' });
      expect(warnings).toEqual([expect.stringContaining('"ON_HOLD"')]);
    });

    it('maps 404 to not_found, not retried', async () => {
      const error = await failure(() => provider.getPayment('nope'));
      expect(error).toMatchObject({ kind: 'not_found', providerStatus: 404, retryable: false, provider: 'flashpay' });
      expect(fake.server.count('GET', '/api/v1/payment/:id')).toBe(1);
    });

    it('retries a GET after 5xx, then succeeds', async () => {
      const seeded = fake.seedPayment();
      fake.server.override('GET', '/api/v1/payment/:id', { status: 502, text: 'Bad Gateway' }, 2);
      await expect(provider.getPayment(seeded.id)).resolves.toMatchObject({ providerPaymentId: seeded.id });
      expect(fake.server.count('GET', '/api/v1/payment/:id')).toBe(3);
    });

    it('a hanging server gives timeout after three attempts', async () => {
      const quick = make({ PROVIDER_TIMEOUT_MS: '60' });
      fake.server.override('GET', '/api/v1/payment/:id', { hang: true });
      const error = await failure(() => quick.getPayment('any'));
      expect(error).toMatchObject({ kind: 'timeout', retryable: true });
      expect(error.http.status).toBe(504);
      expect(fake.server.count('GET', '/api/v1/payment/:id')).toBe(3);
    });

    it('refuses a fractional amount or an unknown currency as bad_response', async () => {
      const fractional = fake.seedPayment({ amount: 10.5 });
      expect(await failure(() => provider.getPayment(fractional.id))).toMatchObject({ kind: 'bad_response' });
      const strange = fake.seedPayment({ currency: 'XYZ' });
      expect(await failure(() => provider.getPayment(strange.id))).toMatchObject({ kind: 'bad_response' });
    });

    it('maps 401 to auth', async () => {
      fake.allowWrongToken = true;
      const wrong = make({ FLASHPAY_API_TOKEN: 'not-the-token' });
      const error = await failure(() => wrong.getPayment('any'));
      expect(error).toMatchObject({ kind: 'auth', providerStatus: 401, retryable: false });
      expect(error.message).not.toContain('not-the-token');
      expect(fake.server.count('GET', '/api/v1/payment/:id')).toBe(1);
    });
  });

  describe('lists', () => {
    it('lists payments from {data: [...]} and from a bare array', async () => {
      const a = fake.seedPayment({ status: 'PAID' });
      const b = fake.seedPayment({ amount: 5 });
      const fromEnvelope = await provider.listPayments();
      fake.bareLists = true;
      const fromArray = await provider.listPayments();
      for (const list of [fromEnvelope, fromArray]) {
        expect(list.map((p) => [p.providerPaymentId, p.amount, p.status])).toEqual([
          [a.id, 1080000, 'succeeded'],
          [b.id, 5, 'pending'],
        ]);
      }
      expect(fake.server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v1/payment', 'GET /api/v1/payment']);
    });

    it('lists beneficiaries from {data: [...]} and from a bare array', async () => {
      const expected = [
        { id: 'ben_1', name: 'Ada Obi', bankId: 'bank_gtb', accountNumber: '0123456789', accountName: 'ADA OBI' },
        { id: 'ben_2', name: 'Alphabets Inc', bankId: 'dqv8ldz5mk4eu7ykcvrr8g84', accountNumber: '1234ABCXXX', accountName: 'Alphabets Inc' },
      ];
      await expect(provider.listBeneficiaries()).resolves.toEqual(expected);
      fake.bareLists = true;
      await expect(provider.listBeneficiaries()).resolves.toEqual(expected);
      expect(fake.server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v1/beneficiaries', 'GET /api/v1/beneficiaries']);
    });

    it('answers something that is not a list as bad_response', async () => {
      fake.server.override('GET', '/api/v1/beneficiaries', { status: 200, json: { items: [] } });
      expect(await failure(() => provider.listBeneficiaries())).toMatchObject({ kind: 'bad_response' });
    });
  });

  describe('payouts', () => {
    it('POSTs {base}/payout to a beneficiary and reads it back', async () => {
      const payout = await provider.createPayout(payoutInput());
      expect(fake.server.requests[0].body).toEqual({
        amount: 250000,
        currency: 'NGN',
        reference: 'po_01J00000000000000000000000',
        description: 'Refund',
        beneficiaryId: 'ben_1',
      });
      expect(payout).toEqual({
        providerPayoutId: payout.providerPayoutId,
        amount: 250000,
        currency: 'NGN',
        status: 'pending',
        providerStatus: 'PENDING',
        destination: { bankId: 'bank_gtb', accountNumber: '0123456789', accountName: 'ADA OBI' },
        reference: 'po_01J00000000000000000000000',
      });

      fake.payouts.get(payout.providerPayoutId)!.status = 'SUCCESSFUL';
      await expect(provider.getPayout(payout.providerPayoutId)).resolves.toMatchObject({ status: 'succeeded', providerStatus: 'SUCCESSFUL' });
      fake.payouts.get(payout.providerPayoutId)!.status = 'REVERSED';
      await expect(provider.getPayout(payout.providerPayoutId)).resolves.toMatchObject({ status: 'failed', providerStatus: 'REVERSED' });
      expect(fake.server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'POST /api/v1/payout',
        `GET /api/v1/payout/${payout.providerPayoutId}`,
        `GET /api/v1/payout/${payout.providerPayoutId}`,
      ]);
    });

    it('POSTs an explicit destination without beneficiaryId or an empty description', async () => {
      const destination = { bankId: 'bank_x', accountNumber: '999', accountName: 'X LTD' };
      const payout = await provider.createPayout(payoutInput({ beneficiaryId: null, destination, description: null }));
      expect(fake.server.requests[0].body).toEqual({
        amount: 250000,
        currency: 'NGN',
        reference: 'po_01J00000000000000000000000',
        destinationBankId: 'bank_x',
        destinationAccount: '999',
        destinationAccountName: 'X LTD',
      });
      expect(payout.destination).toEqual(destination);
    });

    it('maps 422 to rejected and never retries a payout', async () => {
      const error = await failure(() => provider.createPayout(payoutInput({ beneficiaryId: 'ben_unknown' })));
      expect(error).toMatchObject({ kind: 'rejected', providerStatus: 422, retryable: false });
      expect(error.message).toContain('Unknown beneficiary');
      fake.server.override('POST', '/api/v1/payout', { status: 503, text: '' });
      expect(await failure(() => provider.createPayout(payoutInput()))).toMatchObject({ kind: 'server', retryable: false });
      expect(fake.server.count('POST', '/api/v1/payout')).toBe(2);
    });

    it('an unknown payout status is pending, kept, and logged', async () => {
      const payout = await provider.createPayout(payoutInput());
      fake.payouts.get(payout.providerPayoutId)!.status = 'IN_REVIEW';
      await expect(provider.getPayout(payout.providerPayoutId)).resolves.toMatchObject({ status: 'pending', providerStatus: 'IN_REVIEW' });
      expect(warnings).toEqual([expect.stringContaining('"IN_REVIEW"')]);
    });
  });

  describe('configuration', () => {
    it('follows FLASHPAY_BASE_PATH for every path', async () => {
      const other = new FlashpayFake(FLASHPAY_TEST_TOKEN, '/flash/v2');
      const url = await other.start();
      try {
        const p = make({ FLASHPAY_BASE_URL: url, FLASHPAY_BASE_PATH: '/flash/v2' });
        const created = await p.createPayment(paymentInput());
        await p.getPayment(created.providerPaymentId);
        await p.listPayments();
        await p.listBeneficiaries();
        const payout = await p.createPayout(payoutInput());
        await p.getPayout(payout.providerPayoutId);
        expect(other.server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
          'POST /flash/v2/payment',
          `GET /flash/v2/payment/${created.providerPaymentId}`,
          'GET /flash/v2/payment',
          'GET /flash/v2/beneficiaries',
          'POST /flash/v2/payout',
          `GET /flash/v2/payout/${payout.providerPayoutId}`,
        ]);
        expect(other.violations).toEqual([]);
      } finally {
        await other.stop();
      }
    });

    it('connection refused is unreachable for reads and creates alike', async () => {
      const closed = make({ FLASHPAY_BASE_URL: await closedPortUrl() });
      const read = await failure(() => closed.getPayment('x'));
      expect(read).toMatchObject({ kind: 'unreachable', retryable: true });
      const create = await failure(() => closed.createPayout(payoutInput()));
      expect(create).toMatchObject({ kind: 'unreachable' });
      expect(create.certainlyNotExecuted).toBe(true);
    });
  });
});
