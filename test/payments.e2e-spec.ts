import { CreatePaymentInput, PaymentsClient } from '@app/client';
import { lastResponse, rejection } from './support/client';
import { call } from './support/http';
import { clearFaults, setFaults } from './support/sandbox';
import { ADMIN_KEY, SANDBOX_TOKENS, startStack, Stack } from './support/stack';

const usd = (overrides: Partial<CreatePaymentInput> = {}): CreatePaymentInput => ({
  amount: 12399,
  currency: 'USD',
  description: 'Membership',
  payer: { name: 'John Smith', email: 'john@example.com' },
  ...overrides,
});
/** The same body with anything in it: for the bodies the typed client cannot send. */
const usdBody = (overrides: Record<string, unknown>) => ({ ...usd(), ...overrides });

describe('payments over HTTP (real Postgres, real sandboxes)', () => {
  let stack: Stack;
  let key: string;
  let client: PaymentsClient;

  beforeAll(async () => {
    // USD is taken by both providers, so where a USD payment goes shows which routing is in force.
    stack = await startStack({ PAYMENTS_CURRENCY_ROUTES: 'NGN=flashpay', FLASHPAY_CURRENCIES: 'NGN,USD' });
    key = await stack.newKey();
    client = stack.clientFor(key);
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** What FlexiQash's sandbox holds for a payment, read through the provider's own API (not the gateway's). */
  const atFlexiqash = (providerPaymentId: string | null) =>
    call(stack.sandboxes.flexiqashUrl, 'GET', `/api/payments/${providerPaymentId}/view`, { key: SANDBOX_TOKENS.flexiqash });

  describe('FlexiQash', () => {
    it('creates, reads, lists, updates, archives, unarchives and cancels a payment', async () => {
      const payment = await client.payments.create(usd({ reference: 'order-1', metadata: { order: '1' } }));
      expect(lastResponse(client).status).toBe(201);
      expect(lastResponse(client).headers.get('x-request-id')).toBeTruthy();
      expect(payment).toMatchObject({
        object: 'payment',
        provider: 'flexiqash',
        amount: 12399,
        currency: 'USD',
        description: 'Membership',
        reference: 'order-1',
        status: 'pending',
        archived: false,
        metadata: { order: '1' },
      });
      expect(payment.id).toMatch(/^pay_/);
      expect(payment.providerPaymentId).toMatch(/^[0-9a-f-]{36}$/);
      expect(payment.checkoutUrl).toContain(payment.providerPaymentId);

      // The sandbox received exactly 123.99 in major units.
      const atProvider = await atFlexiqash(payment.providerPaymentId);
      expect(atProvider.body.amount).toBe(123.99);

      const read = await client.payments.get(payment.id);
      expect(lastResponse(client).status).toBe(200);
      expect(read).toEqual(payment);

      const listed = await client.payments.list({ reference: 'order-1' });
      expect(listed.data.map((p) => p.id)).toEqual([payment.id]);

      const updated = await client.payments.update(payment.id, { description: 'Gold membership', amount: 1999 });
      expect(lastResponse(client).status).toBe(200);
      expect(updated).toMatchObject({ description: 'Gold membership', amount: 1999 });
      const afterUpdate = await atFlexiqash(payment.providerPaymentId);
      expect(afterUpdate.body).toMatchObject({ name: 'Gold membership', amount: 19.99 });

      const archived = await client.payments.archive(payment.id);
      expect(lastResponse(client).status).toBe(200);
      expect(archived.archived).toBe(true);
      const onlyArchived = await client.payments.list({ archived: true });
      expect(onlyArchived.data.map((p) => p.id)).toContain(payment.id);
      const unarchived = await client.payments.unarchive(payment.id);
      expect(unarchived.archived).toBe(false);

      const cancelled = await client.payments.cancel(payment.id);
      expect(lastResponse(client).status).toBe(200);
      expect(cancelled.status).toBe('cancelled');
      const stillThere = await client.payments.get(payment.id);
      expect(stillThere.status).toBe('cancelled');
      const gone = await atFlexiqash(payment.providerPaymentId);
      expect(gone.status).toBe(404);

      await expect(client.payments.update(payment.id, { description: 'too late' })).rejects.toMatchObject({ status: 409, type: 'conflict' });
    });

    it('shows succeeded after the payer pays on the checkout page, with the transaction', async () => {
      const payment = await client.payments.create(usd());
      // The payer's browser on the sandbox's checkout page.
      const page = await fetch(payment.checkoutUrl!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Pay');
      const paid = await fetch(payment.checkoutUrl!.replace(/\/request$/, '/pay'), { method: 'POST' });
      expect(paid.status).toBe(200);

      const refreshed = await client.payments.refresh(payment.id);
      expect(lastResponse(client).status).toBe(200);
      expect(refreshed.status).toBe('succeeded');
      expect(refreshed.providerStatus).toBe('success');

      const transactions = await client.payments.transactions(payment.id);
      expect(lastResponse(client).status).toBe(200);
      expect(transactions.data).toHaveLength(1);
      expect(transactions.data[0]).toMatchObject({ status: 'succeeded', amount: 12399, currency: 'USD' });

      await expect(client.payments.cancel(payment.id)).rejects.toMatchObject({ status: 409 });
    });
  });

  describe('Flashpay', () => {
    it('creates (chosen by the NGN currency route), reads and lists a payment, then sees it paid', async () => {
      const created = await client.payments.create({ amount: 1080000, currency: 'NGN', description: 'Watch purchase', reference: 'watch-1' });
      expect(lastResponse(client).status).toBe(201);
      expect(created).toMatchObject({ provider: 'flashpay', amount: 1080000, currency: 'NGN', status: 'pending', providerStatus: 'OPEN' });

      // What Flashpay's sandbox holds, read through the provider's own API.
      const atProvider = await call(stack.sandboxes.flashpayUrl, 'GET', `/api/v1/payment/${created.providerPaymentId}`, {
        key: SANDBOX_TOKENS.flashpay,
      });
      expect(atProvider.body).toMatchObject({ amount: 1080000, currency: 'NGN', reference: created.id });
      expect(atProvider.body.statusWebhook).toBe(`${stack.url}/webhooks/flashpay`);

      const listed = await client.payments.list({ provider: 'flashpay' });
      expect(listed.data.map((p) => p.id)).toContain(created.id);

      // The payer pays on the sandbox's checkout page.
      const paid = await fetch(`${stack.sandboxes.flashpayUrl}/checkout/${created.providerPaymentId}/pay`, { method: 'POST' });
      expect(paid.status).toBe(200);
      const refreshed = await client.payments.refresh(created.id);
      expect(refreshed).toMatchObject({ status: 'succeeded', providerStatus: 'PAID' });
    });

    it('answers 422 capability_not_supported for what Flashpay cannot do', async () => {
      const created = await client.payments.create({ amount: 5000, currency: 'NGN', description: 'x' });
      const calls: Array<[string, string, () => Promise<unknown>]> = [
        ['PATCH', `/v1/payments/${created.id}`, () => client.payments.update(created.id, { description: 'y' })],
        ['DELETE', `/v1/payments/${created.id}`, () => client.payments.cancel(created.id)],
        ['POST', `/v1/payments/${created.id}/archive`, () => client.payments.archive(created.id)],
        ['GET', `/v1/payments/${created.id}/transactions`, () => client.payments.transactions(created.id)],
      ];
      for (const [method, path, send] of calls) {
        const error = await rejection(send());
        expect({ path: error.path, method: error.method, status: error.status, type: error.type }).toEqual({ path, method, status: 422, type: 'capability_not_supported' });
      }
      // Metadata is the gateway's own and changes on any provider.
      const meta = await client.payments.update(created.id, { metadata: { a: 'b' } });
      expect(lastResponse(client).status).toBe(200);
      expect(meta.metadata).toEqual({ a: 'b' });
    });

    it('lists beneficiaries and pays out to one, which settles', async () => {
      const beneficiaries = await client.beneficiaries.list({ provider: 'flashpay' });
      expect(lastResponse(client).status).toBe(200);
      expect(beneficiaries.data.length).toBeGreaterThan(0);
      const beneficiary = beneficiaries.data[0];
      expect(beneficiary).toEqual({ id: expect.any(String), name: expect.any(String), bankId: expect.any(String), accountNumber: expect.any(String), accountName: expect.any(String) });

      const payout = await client.payouts.create({ amount: 250000, currency: 'NGN', beneficiaryId: beneficiary.id, reference: 'salary-1' });
      expect(lastResponse(client).status).toBe(201);
      expect(payout).toMatchObject({ object: 'payout', provider: 'flashpay', amount: 250000, currency: 'NGN', status: 'pending', reference: 'salary-1' });
      expect(payout.id).toMatch(/^po_/);

      let status = payout.status;
      for (let i = 0; i < 40 && status === 'pending'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await client.payouts.refresh(payout.id)).status;
      }
      expect(status).toBe('succeeded');
      const listed = await client.payouts.list();
      expect(listed.data.map((p) => p.id)).toContain(payout.id);

      const direct = await client.payouts.create({ amount: 1000, currency: 'NGN', destination: { bankId: 'b1', accountNumber: '0123456789', accountName: 'Ada' } });
      expect(lastResponse(client).status).toBe(201);
      expect(direct.destination).toMatchObject({ bankId: 'b1', accountNumber: '0123456789', accountName: 'Ada' });
    });

    it('refuses a payout on FlexiQash with 422', async () => {
      await expect(client.payouts.create({ amount: 1000, currency: 'USD', provider: 'flexiqash', beneficiaryId: 'x' })).rejects.toMatchObject({
        status: 422,
        type: 'capability_not_supported',
      });
    });
  });

  describe('routing', () => {
    it('chooses by body, then currency route, then default; refuses a currency the provider does not take', async () => {
      const byBody = await client.payments.create(usd({ provider: 'flexiqash' }));
      expect(byBody.provider).toBe('flexiqash');
      const byRoute = await client.payments.create({ amount: 100, currency: 'NGN', description: 'r' });
      expect(byRoute.provider).toBe('flashpay');
      const byDefault = await client.payments.create(usd());
      expect(byDefault.provider).toBe('flexiqash');

      await expect(client.payments.create(usd({ currency: 'EUR' }))).rejects.toMatchObject({ status: 422, type: 'capability_not_supported' });
      await expect(client.payments.create(usd({ currency: 'EUR', provider: 'flashpay' }))).rejects.toMatchObject({ status: 422 });
    });

    it('follows PUT /admin/routing without a restart', async () => {
      // Plain HTTP for /admin/routing: admin routes are outside /v1 and the client.
      const before = await stack.api('GET', '/admin/routing');
      expect(before.body).toMatchObject({ defaultProvider: 'flexiqash', currencyRoutes: { NGN: 'flashpay' } });

      const bad = await stack.api('PUT', '/admin/routing', { defaultProvider: 'flexiqash', currencyRoutes: { NGN: 'flexiqash' } });
      expect(bad.status).toBe(422);
      const unknown = await stack.api('PUT', '/admin/routing', { defaultProvider: 'paypal', currencyRoutes: {} });
      expect(unknown.status).toBe(422);

      // Before any PUT, USD has no route and goes to the default, FlexiQash.
      expect((await client.payments.create(usd())).provider).toBe('flexiqash');

      // A route for USD: it goes to Flashpay now.
      const routed = await stack.api('PUT', '/admin/routing', { defaultProvider: 'flexiqash', currencyRoutes: { NGN: 'flashpay', USD: 'flashpay' } });
      expect(routed.status).toBe(200);
      expect((await client.payments.create(usd())).provider).toBe('flashpay');

      // Flashpay the default and USD routed back to FlexiQash: the route decides USD, the default NGN.
      const stored = await stack.api('PUT', '/admin/routing', { defaultProvider: 'flashpay', currencyRoutes: { USD: 'flexiqash' } });
      expect(stored.status).toBe(200);
      expect((await client.payments.create(usd())).provider).toBe('flexiqash');
      const ngn = await client.payments.create({ amount: 100, currency: 'NGN', description: 'd' });
      expect(ngn.provider).toBe('flashpay');
      const { data: providers } = await client.providers.list();
      expect(providers.find((p) => p.name === 'flashpay')!.default).toBe(true);

      const restored = await stack.api('PUT', '/admin/routing', { defaultProvider: 'flexiqash', currencyRoutes: { NGN: 'flashpay' } });
      expect(restored.status).toBe(200);
      expect(restored.body.source).toBe('stored');
    });
  });

  describe('auth', () => {
    it('answers 401 without a key, with a wrong key and with a revoked key', async () => {
      // Plain HTTP: a request with no key at all, which the client cannot send.
      expect((await call(stack.url, 'GET', '/v1/payments')).status).toBe(401);
      // Plain HTTP: the whole error envelope, checked field for field.
      const wrong = await stack.api('GET', '/v1/payments', undefined, 'sk_wrong');
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ error: { type: 'authentication', code: 'invalid_api_key', message: expect.any(String) }, requestId: expect.any(String) });

      const created = await stack.client.apiKeys.create({ name: 'short-lived', scopes: ['payments:read'] });
      expect(lastResponse(stack.client).status).toBe(201);
      expect(created.key).toMatch(/^sk_/);
      const shortLived = stack.clientFor(created.key);
      await shortLived.payments.list();
      expect(lastResponse(shortLived).status).toBe(200);
      const listed = await stack.client.apiKeys.list();
      expect(JSON.stringify(listed)).not.toContain(created.key);
      await stack.client.apiKeys.revoke(created.id);
      expect(lastResponse(stack.client).status).toBe(204);
      await expect(shortLived.payments.list()).rejects.toMatchObject({ status: 401 });
    });
  });


  describe('bad input', () => {
    const cases: Array<[string, string | Buffer, Record<string, string>?]> = [
      ['malformed JSON', '{"amount": 1,'],
      ['a JSON array', '[1,2,3]'],
      ['a JSON string', '"hello"'],
      ['amount as string', JSON.stringify(usdBody({ amount: '100' }))],
      ['negative amount', JSON.stringify(usdBody({ amount: -5 }))],
      ['zero amount', JSON.stringify(usdBody({ amount: 0 }))],
      ['fractional amount', JSON.stringify(usdBody({ amount: 19.99 }))],
      ['amount past 2^53', '{"amount": 9007199254740993, "currency": "USD", "description": "x"}'],
      ['unknown field', JSON.stringify(usdBody({ colour: 'red' }))],
      ['unknown nested field', JSON.stringify(usdBody({ payer: { name: 'a', email: 'a@b.co', age: 3 } }))],
      ['lower-case currency', JSON.stringify(usdBody({ currency: 'usd' }))],
      ['unknown currency', JSON.stringify(usdBody({ currency: 'XYZ' }))],
      ['missing description', JSON.stringify({ amount: 100, currency: 'USD' })],
      ['bad e-mail', JSON.stringify(usdBody({ payer: { name: 'a', email: 'not-an-email' } }))],
      ['unknown provider', JSON.stringify(usdBody({ provider: 'paypal' }))],
      ['metadata with a number', JSON.stringify(usdBody({ metadata: { a: 1 } }))],
      ['metadata with 21 keys', JSON.stringify(usdBody({ metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) }))],
      ['NUL in a string', JSON.stringify(usdBody({ description: 'a\u0000b' }))],
      ['deep nesting', JSON.stringify(usdBody({ metadata: JSON.parse('{"a":'.repeat(50) + '1' + '}'.repeat(50)) }))],
      ['oversize body', JSON.stringify(usdBody({ description: 'x'.repeat(70 * 1024) }))],
      ['prototype pollution', '{"__proto__": {"admin": true}, "amount": 1, "currency": "USD", "description": "x"}'],
      ['wrong content type', 'amount=1', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['text content type', 'hello', { 'content-type': 'text/plain' }],
    ];

    // Rest parameters keep the callback's arity at zero, so Jest does not take the third column for `done`.
    it.each(cases)('%s → 4xx in the error envelope, nothing written', async (...[, raw, headers]) => {
      const before = await stack.client.payments.list({ limit: 100 });
      // Plain HTTP: bodies the typed client cannot send.
      const answer = await call(stack.url, 'POST', '/v1/payments', {
        key,
        rawBody: raw,
        headers: headers ?? { 'content-type': 'application/json' },
      });
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.body).toEqual({
        error: expect.objectContaining({ type: 'invalid_request', code: expect.any(String), message: expect.any(String) }),
        requestId: expect.any(String),
      });
      const after = await stack.client.payments.list({ limit: 100 });
      expect(after.data.map((p) => p.id)).toEqual(before.data.map((p) => p.id));
    });

    it('names the failing fields in details', async () => {
      const error = await rejection(client.payments.create({ amount: 1.5, currency: 'usd', description: '' }));
      expect(error.status).toBe(422);
      const fields = (error.details as Array<{ field: string }>).map((d) => d.field);
      expect(fields).toEqual(expect.arrayContaining(['amount', 'currency', 'description']));
    });

    it('answers 413 payload_too_large for a body over 64 KiB', async () => {
      await expect(client.payments.create(usd({ description: 'x'.repeat(70 * 1024) }))).rejects.toMatchObject({ status: 413, code: 'payload_too_large' });
    });

    it('answers 404 for unknown ids and routes, and 422 for bad query values', async () => {
      await expect(client.payments.get('pay_doesnotexist')).rejects.toMatchObject({ status: 404 });
      const nul = await rejection(client.payments.get('\u0000'));
      expect({ path: nul.path, status: nul.status }).toEqual({ path: '/v1/payments/%00', status: 404 });
      await expect(client.payouts.get('po_x')).rejects.toMatchObject({ status: 404 });
      // Plain HTTP: a route the client does not have.
      const route = await stack.api('GET', '/v1/nothing-here', undefined, key);
      expect(route.status).toBe(404);
      expect(route.body.error.type).toBe('not_found');
      for (const query of ['limit=0', 'limit=101', 'limit=abc', 'status=paid', 'archived=maybe', 'cursor=zzz', 'colour=red']) {
        // Plain HTTP: query values (most of them) the typed client cannot send.
        const answer = await stack.api('GET', `/v1/payments?${query}`, undefined, key);
        expect({ query, status: answer.status }).toEqual({ query, status: 422 });
      }
    });
  });

  describe('provider failures', () => {
    it('maps a provider 5xx to 502 and keeps the payment flagged, a refused connection to 503, a timeout to 504', async () => {
      // One attempt per call, so the provider sees one create for each.
      const once = stack.clientFor(key, { retries: 0 });
      await setFaults(stack.sandboxes.flexiqashUrl, { failNext: 1, failStatus: 500 });
      await expect(once.payments.create(usd({ reference: 'fails-500' }))).rejects.toMatchObject({ status: 502, type: 'provider_error' });

      await setFaults(stack.sandboxes.flexiqashUrl, { latencyMs: 3000 });
      await expect(once.payments.create(usd({ reference: 'times-out' }))).rejects.toMatchObject({ status: 504, type: 'provider_timeout' });
      await clearFaults(stack.sandboxes.flexiqashUrl);

      const unknown = await client.payments.list({ reference: 'times-out' });
      expect(unknown.data).toHaveLength(1);
      expect(unknown.data[0].status).toBe('pending');
    });

    it('maps refused credentials to 502 and a closed port to 503', async () => {
      const broken = await startStack({ FLEXIQASH_API_TOKEN: 'not-the-token', FLASHPAY_BASE_URL: 'http://127.0.0.1:9' });
      try {
        const admin = broken.clientFor(ADMIN_KEY, { retries: 0 });
        const auth = await rejection(admin.payments.create(usd()));
        expect(auth).toMatchObject({ status: 502, type: 'provider_error', code: 'provider_credentials_rejected' });
        expect(JSON.stringify({ ...auth, message: auth.message })).not.toContain('not-the-token');
        await expect(admin.payments.create({ amount: 100, currency: 'NGN', description: 'x', provider: 'flashpay' })).rejects.toMatchObject({
          status: 503,
          type: 'provider_unavailable',
        });
      } finally {
        await broken.close();
      }
    });
  });

  describe('health', () => {
    it('is live and ready', async () => {
      // Plain HTTP: /health is outside /v1 and the client.
      expect((await call(stack.url, 'GET', '/health/live')).status).toBe(200);
      const ready = await call(stack.url, 'GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.dependencies).toEqual({ postgres: { status: 'up' }, redis: { status: 'up' } });
    });
  });
});
