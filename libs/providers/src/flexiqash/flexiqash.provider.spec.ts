import { CapabilityError, CreateProviderPaymentInput, MoneyError, ProviderError, requireCapability } from '@app/payments';
import { FlexiqashProvider } from './flexiqash.provider';
import { FlexiqashFake, FlexiqashFakeTransaction } from '../../test-support/flexiqash-fake';
import { caught, closedPortUrl, FLEXIQASH_TEST_TOKEN, testConfig } from '../../test-support/test-config';

const FAST = { retryDelaysMs: [5, 10] };

function input(overrides: Partial<CreateProviderPaymentInput> = {}): CreateProviderPaymentInput {
  return {
    gatewayPaymentId: 'pay_01HZX0000000000000000000',
    amount: 12399,
    currency: 'USD',
    description: 'Membership',
    reference: 'client-ref-1',
    payer: { name: 'John Smith', email: 'john@example.com', reference: 'cust-42' },
    payee: { name: 'Ignored Name', reference: 'client-payee-ref' },
    metadata: { order: '42' },
    ...overrides,
  };
}

function transaction(fields: Partial<FlexiqashFakeTransaction> & { guid: string }): FlexiqashFakeTransaction {
  return {
    payer: { payer_email: 'john@example.com', payer_name: 'John Smith', payer_reference: 'Membership' },
    payee: { payee_reference: 'Membership' },
    amount_defined: 123.99,
    is_paid: false,
    paid_at: null,
    status: { code: 'pending', message: 'PENDING' },
    created_at: '2024-04-17 19:20:56',
    ...fields,
  };
}

describe('FlexiqashProvider against a strict fake of the document', () => {
  const fake = new FlexiqashFake(FLEXIQASH_TEST_TOKEN);
  let provider: FlexiqashProvider;
  const made: FlexiqashProvider[] = [];
  const errors: unknown[] = [];
  const warnings: string[] = [];

  function make(env: Record<string, string> = {}): FlexiqashProvider {
    const config = testConfig({ FLEXIQASH_BASE_URL: fake.server.url, ...env });
    const p = new FlexiqashProvider(config, undefined, { ...FAST, logger: { warn: (m) => warnings.push(m) } });
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
    // Whatever failed in this file, no message may carry the token.
    expect(errors.length).toBeGreaterThan(5);
    for (const error of errors) expect(String((error as Error).message)).not.toContain(FLEXIQASH_TEST_TOKEN);
  });
  beforeEach(() => {
    fake.server.reset();
    fake.payments.clear();
    fake.transactions.clear();
    fake.allowWrongToken = false;
    warnings.length = 0;
    provider = make();
  });
  afterEach(() => {
    expect(fake.violations).toEqual([]);
  });

  it('declares its name, capabilities and the one account currency', () => {
    expect(provider.name).toBe('flexiqash');
    expect(FlexiqashProvider.identifier).toBe('flexiqash');
    expect([...provider.capabilities].sort()).toEqual(
      ['payments.archive', 'payments.cancel', 'payments.create', 'payments.list', 'payments.read', 'payments.transactions', 'payments.update'].sort(),
    );
    expect(provider.currencies).toEqual(['USD']);
    expect(provider.configured).toBe(true);
    expect(() => requireCapability(provider, 'payouts.create')).toThrow(CapabilityError);
  });

  describe('createPayment', () => {
    it('POSTs api/payments/new with the amount in major units and the gateway id in payee.reference', async () => {
      const created = await provider.createPayment(input());

      const [request] = fake.server.requests;
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/api/payments/new');
      expect(request.headers.authorization).toBe(`Bearer ${FLEXIQASH_TEST_TOKEN}`);
      expect(request.headers.accept).toBe('application/json');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.body).toEqual({
        name: 'Membership',
        amount: 123.99,
        payer: { name: 'John Smith', email: 'john@example.com', reference: 'cust-42' },
        payee: { reference: 'pay_01HZX0000000000000000000' },
      });
      expect(request.rawBody).toContain('"amount":123.99');

      expect(created).toEqual({
        providerPaymentId: '00000000-0000-4000-8000-000000000001',
        amount: 12399,
        currency: 'USD',
        description: 'Membership',
        status: 'pending',
        providerStatus: null,
        checkoutUrl: 'https://flexiqash.com/payment/00000000-0000-4000-8000-000000000001/request',
        reference: 'pay_01HZX0000000000000000000',
        expiresAt: null,
      });
    });

    it('omits payer when there is none and payer.reference when it is not given', async () => {
      await provider.createPayment(input({ payer: null, amount: 1 }));
      await provider.createPayment(input({ payer: { name: 'A', email: 'a@example.com' }, amount: 30 }));
      expect(fake.server.requests.map((r) => r.body)).toEqual([
        { name: 'Membership', amount: 0.01, payee: { reference: 'pay_01HZX0000000000000000000' } },
        { name: 'Membership', amount: 0.3, payer: { name: 'A', email: 'a@example.com' }, payee: { reference: 'pay_01HZX0000000000000000000' } },
      ]);
    });

    it('refuses a currency other than the account currency before any request', async () => {
      await expect(provider.createPayment(input({ currency: 'EUR' }))).rejects.toThrow(CapabilityError);
      expect(fake.server.requests).toHaveLength(0);
    });

    it('refuses an amount a JSON number cannot carry exactly, before any request', async () => {
      await expect(provider.createPayment(input({ amount: Number.MAX_SAFE_INTEGER }))).rejects.toThrow(MoneyError);
      expect(fake.server.requests).toHaveLength(0);
    });

    it('uses FLEXIQASH_CURRENCY for the conversion (JPY has no decimals)', async () => {
      const jpy = make({ FLEXIQASH_CURRENCY: 'JPY' });
      const created = await jpy.createPayment(input({ currency: 'JPY', amount: 5000 }));
      expect(fake.server.requests[0].body).toMatchObject({ amount: 5000 });
      expect(created).toMatchObject({ amount: 5000, currency: 'JPY' });
    });

    it('is never retried: a 500 and a dropped connection each cost exactly one request', async () => {
      fake.server.override('POST', '/api/payments/new', { status: 500, json: { message: 'Server Error' } });
      const server = await failure(() => provider.createPayment(input()));
      expect(server).toMatchObject({ kind: 'server', providerStatus: 500, retryable: false });
      expect(fake.server.count('POST', '/api/payments/new')).toBe(1);

      fake.server.reset();
      fake.server.override('POST', '/api/payments/new', { destroy: true });
      const reset = await failure(() => provider.createPayment(input()));
      expect(reset).toMatchObject({ kind: 'server', providerStatus: null, retryable: false });
      expect(reset.certainlyNotExecuted).toBe(false);
      expect(fake.server.count('POST', '/api/payments/new')).toBe(1);
    });

    it('answers 422 as rejected with FlexiQash message, never retried', async () => {
      fake.server.override('POST', '/api/payments/new', { status: 422, json: { message: 'The amount field is required.' } });
      const error = await failure(() => provider.createPayment(input()));
      expect(error).toMatchObject({ kind: 'rejected', providerStatus: 422, retryable: false });
      expect(error.message).toContain('The amount field is required.');
      expect(fake.server.requests).toHaveLength(1);
    });

    it('a created payment can be found again by listing and matching the reference', async () => {
      const a = await provider.createPayment(input({ gatewayPaymentId: 'pay_a' }));
      const b = await provider.createPayment(input({ gatewayPaymentId: 'pay_b' }));
      expect(a.providerPaymentId).not.toBe(b.providerPaymentId);
      const listed = await provider.listPayments();
      expect(listed.find((p) => p.reference === 'pay_b')?.providerPaymentId).toBe(b.providerPaymentId);
    });
  });

  describe('getPayment', () => {
    const guid = '12345678-1234-1234-1234-123456789012';

    it('reads view + transactions; no transactions is pending with providerStatus null', async () => {
      fake.seed({ guid, amount: 123.99 });
      const payment = await provider.getPayment(guid);
      expect(payment).toEqual({
        providerPaymentId: guid,
        amount: 12399,
        currency: 'USD',
        description: 'Membership',
        status: 'pending',
        providerStatus: null,
        checkoutUrl: `https://flexiqash.com/payment/${guid}/request`,
        reference: 'pay_seeded',
        expiresAt: null,
      });
      expect(fake.server.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
        `GET /api/payments/${guid}/transactions`,
        `GET /api/payments/${guid}/view`,
      ]);
    });

    it('is succeeded when any transaction succeeded, even after a later decline', async () => {
      fake.seed({ guid });
      fake.transactions.set(guid, [
        transaction({ guid: 't1', status: { code: 'declined', message: 'DECLINED' }, created_at: '2024-04-17 19:00:00' }),
        transaction({ guid: 't2', status: { code: 'success', message: 'APPROVED' }, is_paid: true, created_at: '2024-04-17 19:10:00' }),
        transaction({ guid: 't3', status: { code: 'failed', message: 'FAILED' }, created_at: '2024-04-17 19:20:00' }),
      ]);
      await expect(provider.getPayment(guid)).resolves.toMatchObject({ status: 'succeeded', providerStatus: 'success' });
    });

    it('is failed when the latest transaction failed, pending when it is still running', async () => {
      fake.seed({ guid });
      fake.transactions.set(guid, [
        transaction({ guid: 't2', status: { code: 'declined', message: 'DECLINED' }, created_at: '2024-04-17 19:21:00' }),
        transaction({ guid: 't1', status: { code: 'pending', message: 'PENDING' }, created_at: '2024-04-17 19:20:00' }),
      ]);
      await expect(provider.getPayment(guid)).resolves.toMatchObject({ status: 'failed', providerStatus: 'declined' });

      fake.transactions.get(guid)!.push(transaction({ guid: 't3', status: { code: 'processing', message: '' }, created_at: '2024-04-17 19:22:00' }));
      await expect(provider.getPayment(guid)).resolves.toMatchObject({ status: 'pending', providerStatus: 'processing' });
    });

    it('answers plain-text 404 "Payment not found" as not_found without parsing it, and does not retry', async () => {
      const error = await failure(() => provider.getPayment('00000000-0000-0000-0000-000000000000'));
      expect(error).toMatchObject({ kind: 'not_found', providerStatus: 404, retryable: false, provider: 'flexiqash' });
      expect(error.message).toContain('Payment not found');
      expect(fake.server.count('GET', '/api/payments/:guid/view')).toBe(1);
    });

    it('retries a GET after 5xx (two retries) and succeeds on the third attempt', async () => {
      fake.seed({ guid });
      fake.server.override('GET', '/api/payments/:guid/view', { status: 503, text: 'Service Unavailable' }, 2);
      await expect(provider.getPayment(guid)).resolves.toMatchObject({ amount: 12399 });
      expect(fake.server.count('GET', '/api/payments/:guid/view')).toBe(3);
      expect(fake.server.count('GET', '/api/payments/:guid/transactions')).toBe(1);
    });

    it('gives up after three attempts with kind server, retryable', async () => {
      fake.seed({ guid });
      fake.server.override('GET', '/api/payments/:guid/view', { status: 500, text: '<html>Whoops</html>', contentType: 'text/html' });
      const error = await failure(() => provider.getPayment(guid));
      expect(error).toMatchObject({ kind: 'server', providerStatus: 500, retryable: true });
      expect(error.message).not.toContain('Whoops');
      expect(fake.server.count('GET', '/api/payments/:guid/view')).toBe(3);
    });

    it('retries a GET after a dropped connection', async () => {
      fake.seed({ guid });
      fake.server.override('GET', '/api/payments/:guid/view', { destroy: true }, 1);
      await expect(provider.getPayment(guid)).resolves.toMatchObject({ providerPaymentId: guid });
      expect(fake.server.count('GET', '/api/payments/:guid/view')).toBe(2);
    });

    it('turns a 200 that is not JSON into bad_response, not retried', async () => {
      fake.seed({ guid });
      fake.server.override('GET', '/api/payments/:guid/view', { status: 200, text: '<html>maintenance</html>', contentType: 'text/html' });
      const error = await failure(() => provider.getPayment(guid));
      expect(error).toMatchObject({ kind: 'bad_response', retryable: false });
      expect(fake.server.count('GET', '/api/payments/:guid/view')).toBe(1);
    });

    it('turns an amount that is not exact in cents into bad_response', async () => {
      fake.seed({ guid, amount: 0.1 + 0.2 });
      const error = await failure(() => provider.getPayment(guid));
      expect(error).toMatchObject({ kind: 'bad_response', provider: 'flexiqash' });
      expect(error.message).toContain('payment.amount');
    });

    it('reads a decimal string amount exactly', async () => {
      fake.seed({ guid, amount: '123.90' as unknown as number });
      await expect(provider.getPayment(guid)).resolves.toMatchObject({ amount: 12390 });
    });
  });

  describe('authentication', () => {
    it('maps the document 401 {"message":"Unauthenticated."} to auth, without the token in the message', async () => {
      fake.allowWrongToken = true;
      const wrong = make({ FLEXIQASH_API_TOKEN: 'some-other-token' });
      const error = await failure(() => wrong.getPayment('12345678-1234-1234-1234-123456789012'));
      expect(error).toMatchObject({ kind: 'auth', providerStatus: 401, retryable: false });
      expect(error.message).toContain('Unauthenticated.');
      expect(error.message).not.toContain('some-other-token');
      expect(fake.server.count('GET', '/api/payments/:guid/view')).toBe(1);
      expect(error.http.status).toBe(502);
    });

    it('maps 403 to auth and redacts a token the provider echoes back', async () => {
      fake.server.override('GET', '/api/payments', { status: 403, json: { message: `token ${FLEXIQASH_TEST_TOKEN} is not allowed` } });
      const error = await failure(() => provider.listPayments());
      expect(error.kind).toBe('auth');
      expect(error.message).toContain('token [redacted] is not allowed');
      expect(error.message).not.toContain(FLEXIQASH_TEST_TOKEN);
    });
  });

  describe('list, update, cancel, archive, transactions', () => {
    const guid = '12345678-1234-1234-1234-123456789012';

    it('lists payments (array) as pending with converted amounts', async () => {
      fake.seed({ guid, amount: 19.99 });
      fake.seed({ guid: '22222222-1234-1234-1234-123456789012', amount: 5 });
      const list = await provider.listPayments();
      expect(list.map((p) => [p.providerPaymentId, p.amount, p.status, p.providerStatus])).toEqual([
        [guid, 1999, 'pending', null],
        ['22222222-1234-1234-1234-123456789012', 500, 'pending', null],
      ]);
      expect(fake.server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/payments']);
    });

    it('PATCHes name and amount (major units) to …/update; metadata is not sent', async () => {
      fake.seed({ guid });
      await provider.updatePayment(guid, { description: 'Gold membership', amount: 20000, currency: 'USD', metadata: { a: 'b' } });
      const [request] = fake.server.requests;
      expect(`${request.method} ${request.path}`).toBe(`PATCH /api/payments/${guid}/update`);
      expect(request.body).toEqual({ name: 'Gold membership', amount: 200 });
      expect(fake.payments.get(guid)).toMatchObject({ name: 'Gold membership', amount: 200 });
    });

    it('sends nothing when only metadata changes', async () => {
      await provider.updatePayment(guid, { currency: 'USD', metadata: { a: 'b' } });
      expect(fake.server.requests).toHaveLength(0);
    });

    it('does not retry a PATCH that failed with 5xx', async () => {
      fake.seed({ guid });
      fake.server.override('PATCH', '/api/payments/:guid/update', { status: 502, text: 'Bad Gateway' });
      const error = await failure(() => provider.updatePayment(guid, { amount: 100, currency: 'USD' }));
      expect(error).toMatchObject({ kind: 'server', retryable: false });
      expect(fake.server.requests).toHaveLength(1);
    });

    it('treats {"success": false} as not done', async () => {
      fake.seed({ guid });
      fake.server.override('PATCH', '/api/payments/:guid/archive', { status: 200, json: { success: false } });
      const error = await failure(() => provider.archivePayment(guid));
      expect(error).toMatchObject({ kind: 'bad_response', provider: 'flexiqash' });
    });

    it('cancels with DELETE …/delete (204); FlexiQash then answers 404', async () => {
      fake.seed({ guid });
      await provider.cancelPayment(guid);
      expect(fake.server.requests.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.rawBody)}`)).toEqual([
        `DELETE /api/payments/${guid}/delete ""`,
      ]);
      expect((await failure(() => provider.getPayment(guid))).kind).toBe('not_found');
      expect((await failure(() => provider.cancelPayment(guid))).kind).toBe('not_found');
    });

    it('archives and unarchives with PATCH and no body', async () => {
      fake.seed({ guid });
      await provider.archivePayment(guid);
      expect(fake.payments.get(guid)?.archived).toBe(true);
      await provider.unarchivePayment(guid);
      expect(fake.payments.get(guid)?.archived).toBe(false);
      expect(fake.server.requests.map((r) => `${r.method} ${r.path} ${r.rawBody}`)).toEqual([
        `PATCH /api/payments/${guid}/archive `,
        `PATCH /api/payments/${guid}/unarchive `,
      ]);
    });

    it('normalizes transactions exactly', async () => {
      fake.seed({ guid });
      fake.transactions.set(guid, [
        transaction({
          guid: 'tx-1',
          amount_defined: 123.12,
          is_paid: true,
          paid_at: '2024-04-17 19:21:02',
          status: { code: 'success', message: 'APPROVED' },
          created_at: '2024-04-17 19:20:56',
        }),
      ]);
      await expect(provider.listTransactions(guid, 'USD')).resolves.toEqual([
        {
          id: 'tx-1',
          object: 'transaction',
          amount: 12312,
          currency: 'USD',
          status: 'succeeded',
          providerStatus: 'success',
          message: 'APPROVED',
          payer: { name: 'John Smith', email: 'john@example.com', reference: 'Membership' },
          paidAt: '2024-04-17T19:21:02.000Z',
          createdAt: '2024-04-17T19:20:56.000Z',
        },
      ]);
    });

    it('keeps an unknown transaction code as providerStatus, pending, with a warning naming it', async () => {
      fake.seed({ guid });
      fake.transactions.set(guid, [transaction({ guid: 'tx-1', status: { code: 'on_hold', message: 'HOLD' } })]);
      await expect(provider.getPayment(guid)).resolves.toMatchObject({ status: 'pending', providerStatus: 'on_hold' });
      expect(warnings).toEqual([expect.stringContaining('"on_hold"')]);
    });
  });

  describe('transport failures', () => {
    it('connection refused is unreachable, certainly not executed; GET retried, POST not', async () => {
      const url = await closedPortUrl();
      const closed = make({ FLEXIQASH_BASE_URL: url });
      const get = await failure(() => closed.listPayments());
      expect(get).toMatchObject({ kind: 'unreachable', retryable: true, providerStatus: null });
      expect(get.certainlyNotExecuted).toBe(true);
      const post = await failure(() => closed.createPayment(input()));
      expect(post).toMatchObject({ kind: 'unreachable', retryable: true });
      expect(post.http).toEqual({ status: 503, type: 'provider_unavailable', code: 'provider_unreachable' });
    });

    it('a hanging server gives timeout; the POST was sent once, the GET three times', async () => {
      const quick = make({ PROVIDER_TIMEOUT_MS: '80' });
      fake.server.override('POST', '/api/payments/new', { hang: true });
      fake.server.override('GET', '/api/payments', { hang: true });
      const post = await failure(() => quick.createPayment(input()));
      expect(post).toMatchObject({ kind: 'timeout', retryable: false });
      expect(post.message).toContain('80 ms');
      const get = await failure(() => quick.listPayments());
      expect(get).toMatchObject({ kind: 'timeout', retryable: true });
      expect(fake.server.count('POST', '/api/payments/new')).toBe(1);
      expect(fake.server.count('GET', '/api/payments')).toBe(3);
    });
  });
});
