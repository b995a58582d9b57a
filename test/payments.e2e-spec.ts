import { SANDBOX_TOKENS, startStack, Stack } from './support/stack';
import { call } from './support/http';

const usd = (overrides: Record<string, unknown> = {}) => ({
  amount: 12399,
  currency: 'USD',
  description: 'Membership',
  payer: { name: 'John Smith', email: 'john@example.com' },
  ...overrides,
});

describe('payments over HTTP (real Postgres, real sandboxes)', () => {
  let stack: Stack;
  let key: string;

  beforeAll(async () => {
    stack = await startStack({ PAYMENTS_CURRENCY_ROUTES: 'NGN=flashpay' });
    key = await stack.newKey();
  });
  afterAll(async () => {
    await stack?.close();
  });

  describe('FlexiQash', () => {
    it('creates, reads, lists, updates, archives, unarchives and cancels a payment', async () => {
      const created = await stack.api('POST', '/v1/payments', usd({ reference: 'order-1', metadata: { order: '1' } }), key);
      expect(created.status).toBe(201);
      expect(created.headers.get('x-request-id')).toBeTruthy();
      const payment = created.body;
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
      const atProvider = await call(stack.sandboxes.flexiqashUrl, 'GET', `/api/payments/${payment.providerPaymentId}/view`, {
        key: SANDBOX_TOKENS.flexiqash,
      });
      expect(atProvider.body.amount).toBe(123.99);

      const read = await stack.api('GET', `/v1/payments/${payment.id}`, undefined, key);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(payment);

      const listed = await stack.api('GET', '/v1/payments?reference=order-1', undefined, key);
      expect(listed.body.data.map((p: { id: string }) => p.id)).toEqual([payment.id]);

      const updated = await stack.api('PATCH', `/v1/payments/${payment.id}`, { description: 'Gold membership', amount: 1999 }, key);
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ description: 'Gold membership', amount: 1999 });
      const afterUpdate = await call(stack.sandboxes.flexiqashUrl, 'GET', `/api/payments/${payment.providerPaymentId}/view`, {
        key: SANDBOX_TOKENS.flexiqash,
      });
      expect(afterUpdate.body).toMatchObject({ name: 'Gold membership', amount: 19.99 });

      const archived = await stack.api('POST', `/v1/payments/${payment.id}/archive`, undefined, key);
      expect(archived.status).toBe(200);
      expect(archived.body.archived).toBe(true);
      const onlyArchived = await stack.api('GET', '/v1/payments?archived=true', undefined, key);
      expect(onlyArchived.body.data.map((p: { id: string }) => p.id)).toContain(payment.id);
      const unarchived = await stack.api('POST', `/v1/payments/${payment.id}/unarchive`, undefined, key);
      expect(unarchived.body.archived).toBe(false);

      const cancelled = await stack.api('DELETE', `/v1/payments/${payment.id}`, undefined, key);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      const stillThere = await stack.api('GET', `/v1/payments/${payment.id}`, undefined, key);
      expect(stillThere.body.status).toBe('cancelled');
      const gone = await call(stack.sandboxes.flexiqashUrl, 'GET', `/api/payments/${payment.providerPaymentId}/view`, {
        key: SANDBOX_TOKENS.flexiqash,
      });
      expect(gone.status).toBe(404);

      const again = await stack.api('PATCH', `/v1/payments/${payment.id}`, { description: 'too late' }, key);
      expect(again.status).toBe(409);
      expect(again.body.error.type).toBe('conflict');
    });

    it('shows succeeded after the payer pays on the checkout page, with the transaction', async () => {
      const payment = (await stack.api('POST', '/v1/payments', usd(), key)).body;
      const page = await fetch(payment.checkoutUrl);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Pay');
      const paid = await fetch(payment.checkoutUrl.replace(/\/request$/, '/pay'), { method: 'POST' });
      expect(paid.status).toBe(200);

      const refreshed = await stack.api('POST', `/v1/payments/${payment.id}/refresh`, undefined, key);
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.status).toBe('succeeded');
      expect(refreshed.body.providerStatus).toBe('success');

      const transactions = await stack.api('GET', `/v1/payments/${payment.id}/transactions`, undefined, key);
      expect(transactions.status).toBe(200);
      expect(transactions.body.data).toHaveLength(1);
      expect(transactions.body.data[0]).toMatchObject({ status: 'succeeded', amount: 12399, currency: 'USD' });

      const cancel = await stack.api('DELETE', `/v1/payments/${payment.id}`, undefined, key);
      expect(cancel.status).toBe(409);
    });
  });

  describe('Flashpay', () => {
    it('creates (chosen by the NGN currency route), reads and lists a payment, then sees it paid', async () => {
      const created = await stack.api('POST', '/v1/payments', { amount: 1080000, currency: 'NGN', description: 'Watch purchase', reference: 'watch-1' }, key);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ provider: 'flashpay', amount: 1080000, currency: 'NGN', status: 'pending', providerStatus: 'OPEN' });

      const atProvider = await call(stack.sandboxes.flashpayUrl, 'GET', `/api/v1/payment/${created.body.providerPaymentId}`, {
        key: SANDBOX_TOKENS.flashpay,
      });
      expect(atProvider.body).toMatchObject({ amount: 1080000, currency: 'NGN', reference: created.body.id });
      expect(atProvider.body.statusWebhook).toBe(`${stack.url}/webhooks/flashpay`);

      const listed = await stack.api('GET', '/v1/payments?provider=flashpay', undefined, key);
      expect(listed.body.data.map((p: { id: string }) => p.id)).toContain(created.body.id);

      const paid = await fetch(`${stack.sandboxes.flashpayUrl}/checkout/${created.body.providerPaymentId}/pay`, { method: 'POST' });
      expect(paid.status).toBe(200);
      const refreshed = await stack.api('POST', `/v1/payments/${created.body.id}/refresh`, undefined, key);
      expect(refreshed.body).toMatchObject({ status: 'succeeded', providerStatus: 'PAID' });
    });

    it('answers 422 capability_not_supported for what Flashpay cannot do', async () => {
      const created = await stack.api('POST', '/v1/payments', { amount: 5000, currency: 'NGN', description: 'x' }, key);
      for (const [method, path, body] of [
        ['PATCH', `/v1/payments/${created.body.id}`, { description: 'y' }],
        ['DELETE', `/v1/payments/${created.body.id}`, undefined],
        ['POST', `/v1/payments/${created.body.id}/archive`, undefined],
        ['GET', `/v1/payments/${created.body.id}/transactions`, undefined],
      ] as const) {
        const answer = await stack.api(method, path, body, key);
        expect({ path, method, status: answer.status, type: answer.body.error?.type }).toEqual({ path, method, status: 422, type: 'capability_not_supported' });
      }
      // Metadata is the gateway's own and changes on any provider.
      const meta = await stack.api('PATCH', `/v1/payments/${created.body.id}`, { metadata: { a: 'b' } }, key);
      expect(meta.status).toBe(200);
      expect(meta.body.metadata).toEqual({ a: 'b' });
    });

    it('lists beneficiaries and pays out to one, which settles', async () => {
      const beneficiaries = await stack.api('GET', '/v1/beneficiaries?provider=flashpay', undefined, key);
      expect(beneficiaries.status).toBe(200);
      expect(beneficiaries.body.data.length).toBeGreaterThan(0);
      const beneficiary = beneficiaries.body.data[0];
      expect(beneficiary).toEqual({ id: expect.any(String), name: expect.any(String), bankId: expect.any(String), accountNumber: expect.any(String), accountName: expect.any(String) });

      const payout = await stack.api('POST', '/v1/payouts', { amount: 250000, currency: 'NGN', beneficiaryId: beneficiary.id, reference: 'salary-1' }, key);
      expect(payout.status).toBe(201);
      expect(payout.body).toMatchObject({ object: 'payout', provider: 'flashpay', amount: 250000, currency: 'NGN', status: 'pending', reference: 'salary-1' });
      expect(payout.body.id).toMatch(/^po_/);

      let status = payout.body.status;
      for (let i = 0; i < 40 && status === 'pending'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await stack.api('POST', `/v1/payouts/${payout.body.id}/refresh`, undefined, key)).body.status;
      }
      expect(status).toBe('succeeded');
      const listed = await stack.api('GET', '/v1/payouts', undefined, key);
      expect(listed.body.data.map((p: { id: string }) => p.id)).toContain(payout.body.id);

      const direct = await stack.api('POST', '/v1/payouts', { amount: 1000, currency: 'NGN', destination: { bankId: 'b1', accountNumber: '0123456789', accountName: 'Ada' } }, key);
      expect(direct.status).toBe(201);
      expect(direct.body.destination).toMatchObject({ bankId: 'b1', accountNumber: '0123456789', accountName: 'Ada' });
    });

    it('refuses a payout on FlexiQash with 422', async () => {
      const answer = await stack.api('POST', '/v1/payouts', { amount: 1000, currency: 'USD', provider: 'flexiqash', beneficiaryId: 'x' }, key);
      expect(answer.status).toBe(422);
      expect(answer.body.error.type).toBe('capability_not_supported');
    });
  });

  describe('routing', () => {
    it('chooses by body, then currency route, then default; refuses a currency the provider does not take', async () => {
      const byBody = await stack.api('POST', '/v1/payments', usd({ provider: 'flexiqash' }), key);
      expect(byBody.body.provider).toBe('flexiqash');
      const byRoute = await stack.api('POST', '/v1/payments', { amount: 100, currency: 'NGN', description: 'r' }, key);
      expect(byRoute.body.provider).toBe('flashpay');
      const byDefault = await stack.api('POST', '/v1/payments', usd(), key);
      expect(byDefault.body.provider).toBe('flexiqash');

      const wrongCurrency = await stack.api('POST', '/v1/payments', usd({ currency: 'EUR' }), key);
      expect(wrongCurrency.status).toBe(422);
      expect(wrongCurrency.body.error.type).toBe('capability_not_supported');
      const wrongPair = await stack.api('POST', '/v1/payments', usd({ provider: 'flashpay' }), key);
      expect(wrongPair.status).toBe(422);
    });

    it('follows PUT /admin/routing without a restart', async () => {
      const before = await stack.api('GET', '/admin/routing');
      expect(before.body).toMatchObject({ defaultProvider: 'flexiqash', currencyRoutes: { NGN: 'flashpay' } });

      const bad = await stack.api('PUT', '/admin/routing', { defaultProvider: 'flexiqash', currencyRoutes: { NGN: 'flexiqash' } });
      expect(bad.status).toBe(422);
      const unknown = await stack.api('PUT', '/admin/routing', { defaultProvider: 'paypal', currencyRoutes: {} });
      expect(unknown.status).toBe(422);

      const stored = await stack.api('PUT', '/admin/routing', { defaultProvider: 'flashpay', currencyRoutes: { USD: 'flexiqash' } });
      expect(stored.status).toBe(200);
      const ngn = await stack.api('POST', '/v1/payments', { amount: 100, currency: 'NGN', description: 'd' }, key);
      expect(ngn.body.provider).toBe('flashpay');
      const providers = await stack.api('GET', '/v1/providers', undefined, key);
      expect(providers.body.find((p: { name: string }) => p.name === 'flashpay').default).toBe(true);

      const restored = await stack.api('PUT', '/admin/routing', { defaultProvider: 'flexiqash', currencyRoutes: { NGN: 'flashpay' } });
      expect(restored.status).toBe(200);
      expect(restored.body.source).toBe('stored');
    });
  });

  describe('auth and tenancy', () => {
    it('answers 401 without a key, with a wrong key and with a revoked key', async () => {
      expect((await call(stack.url, 'GET', '/v1/payments')).status).toBe(401);
      const wrong = await stack.api('GET', '/v1/payments', undefined, 'sk_wrong');
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ error: { type: 'authentication', code: 'invalid_api_key', message: expect.any(String) }, requestId: expect.any(String) });

      const created = await stack.api('POST', '/v1/api-keys', { name: 'short-lived', scopes: ['payments:read'] });
      expect(created.status).toBe(201);
      expect(created.body.key).toMatch(/^sk_/);
      expect((await stack.api('GET', '/v1/payments', undefined, created.body.key)).status).toBe(200);
      const listed = await stack.api('GET', '/v1/api-keys');
      expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
      expect((await stack.api('DELETE', `/v1/api-keys/${created.body.id}`)).status).toBe(204);
      expect((await stack.api('GET', '/v1/payments', undefined, created.body.key)).status).toBe(401);
    });

    it('answers 403 for a missing scope and for admin routes', async () => {
      const readOnly = await stack.newKey(['payments:read']);
      const denied = await stack.api('POST', '/v1/payments', usd(), readOnly);
      expect(denied.status).toBe(403);
      expect(denied.body.error.type).toBe('permission');
      expect((await stack.api('GET', '/admin/routing', undefined, key)).status).toBe(403);
      expect((await stack.api('POST', '/v1/api-keys', { name: 'x', scopes: ['admin'] }, key)).status).toBe(403);
    });

    it("shows a service key only its own payments; another key's ids answer 404", async () => {
      const other = await stack.newKey();
      const mine = (await stack.api('POST', '/v1/payments', usd({ reference: 'tenant-a' }), key)).body;
      const theirs = (await stack.api('POST', '/v1/payments', usd({ reference: 'tenant-b' }), other)).body;
      expect((await stack.api('GET', `/v1/payments/${theirs.id}`, undefined, key)).status).toBe(404);
      expect((await stack.api('DELETE', `/v1/payments/${theirs.id}`, undefined, key)).status).toBe(404);
      expect((await stack.api('POST', `/v1/payments/${theirs.id}/refresh`, undefined, key)).status).toBe(404);
      const listed = await stack.api('GET', '/v1/payments?limit=100', undefined, other);
      const ids = listed.body.data.map((p: { id: string }) => p.id);
      expect(ids).toContain(theirs.id);
      expect(ids).not.toContain(mine.id);
      // The admin sees both.
      expect((await stack.api('GET', `/v1/payments/${theirs.id}`)).status).toBe(200);
      expect((await stack.api('GET', `/v1/payments/${mine.id}`)).status).toBe(200);
    });
  });

  describe('lists', () => {
    it('pages with a cursor, newest first, without gaps or repeats', async () => {
      const pager = await stack.newKey();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await stack.api('POST', '/v1/payments', usd({ reference: `page-${i}` }), pager)).body.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await stack.api('GET', `/v1/payments?limit=2${cursor ? `&cursor=${cursor}` : ''}`, undefined, pager);
        expect(page.status).toBe(200);
        expect(page.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.data.map((p: { id: string }) => p.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
    });
  });

  describe('bad input', () => {
    const cases: Array<[string, string | Buffer, Record<string, string>?]> = [
      ['malformed JSON', '{"amount": 1,'],
      ['a JSON array', '[1,2,3]'],
      ['a JSON string', '"hello"'],
      ['amount as string', JSON.stringify(usd({ amount: '100' }))],
      ['negative amount', JSON.stringify(usd({ amount: -5 }))],
      ['zero amount', JSON.stringify(usd({ amount: 0 }))],
      ['fractional amount', JSON.stringify(usd({ amount: 19.99 }))],
      ['amount past 2^53', '{"amount": 9007199254740993, "currency": "USD", "description": "x"}'],
      ['unknown field', JSON.stringify(usd({ colour: 'red' }))],
      ['unknown nested field', JSON.stringify(usd({ payer: { name: 'a', email: 'a@b.co', age: 3 } }))],
      ['lower-case currency', JSON.stringify(usd({ currency: 'usd' }))],
      ['unknown currency', JSON.stringify(usd({ currency: 'XYZ' }))],
      ['missing description', JSON.stringify({ amount: 100, currency: 'USD' })],
      ['bad e-mail', JSON.stringify(usd({ payer: { name: 'a', email: 'not-an-email' } }))],
      ['unknown provider', JSON.stringify(usd({ provider: 'paypal' }))],
      ['metadata with a number', JSON.stringify(usd({ metadata: { a: 1 } }))],
      ['metadata with 21 keys', JSON.stringify(usd({ metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) }))],
      ['NUL in a string', JSON.stringify(usd({ description: 'a\u0000b' }))],
      ['deep nesting', JSON.stringify(usd({ metadata: JSON.parse('{"a":'.repeat(50) + '1' + '}'.repeat(50)) }))],
      ['oversize body', JSON.stringify(usd({ description: 'x'.repeat(70 * 1024) }))],
      ['prototype pollution', '{"__proto__": {"admin": true}, "amount": 1, "currency": "USD", "description": "x"}'],
      ['wrong content type', 'amount=1', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['text content type', 'hello', { 'content-type': 'text/plain' }],
    ];

    // Rest parameters keep the callback's arity at zero, so Jest does not take the third column for `done`.
    it.each(cases)('%s → 4xx in the error envelope, nothing written', async (...[, raw, headers]) => {
      const before = await stack.api('GET', '/v1/payments?limit=100');
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
      const after = await stack.api('GET', '/v1/payments?limit=100');
      expect(after.body.data.map((p: { id: string }) => p.id)).toEqual(before.body.data.map((p: { id: string }) => p.id));
    });

    it('names the failing fields in details', async () => {
      const answer = await stack.api('POST', '/v1/payments', { amount: 1.5, currency: 'usd', description: '' }, key);
      expect(answer.status).toBe(422);
      const fields = answer.body.error.details.map((d: { field: string }) => d.field);
      expect(fields).toEqual(expect.arrayContaining(['amount', 'currency', 'description']));
    });

    it('answers 413 payload_too_large for a body over 64 KiB', async () => {
      const answer = await stack.api('POST', '/v1/payments', usd({ description: 'x'.repeat(70 * 1024) }), key);
      expect(answer.status).toBe(413);
      expect(answer.body.error.code).toBe('payload_too_large');
    });

    it('answers 404 for unknown ids and routes, and 422 for bad query values', async () => {
      expect((await stack.api('GET', '/v1/payments/pay_doesnotexist', undefined, key)).status).toBe(404);
      expect((await stack.api('GET', '/v1/payments/%00', undefined, key)).status).toBe(404);
      expect((await stack.api('GET', '/v1/payouts/po_x', undefined, key)).status).toBe(404);
      const route = await stack.api('GET', '/v1/nothing-here', undefined, key);
      expect(route.status).toBe(404);
      expect(route.body.error.type).toBe('not_found');
      for (const query of ['limit=0', 'limit=101', 'limit=abc', 'status=paid', 'archived=maybe', 'cursor=zzz', 'colour=red']) {
        const answer = await stack.api('GET', `/v1/payments?${query}`, undefined, key);
        expect({ query, status: answer.status }).toEqual({ query, status: 422 });
      }
    });
  });

  describe('provider failures', () => {
    it('maps a provider 5xx to 502 and keeps the payment flagged, a refused connection to 503, a timeout to 504', async () => {
      await call(stack.sandboxes.flexiqashUrl, 'PUT', '/__sandbox/faults', { body: { failNext: 1, failStatus: 500 } });
      const failed = await stack.api('POST', '/v1/payments', usd({ reference: 'fails-500' }), key);
      expect(failed.status).toBe(502);
      expect(failed.body.error.type).toBe('provider_error');

      await call(stack.sandboxes.flexiqashUrl, 'PUT', '/__sandbox/faults', { body: { latencyMs: 3000 } });
      const slow = await stack.api('POST', '/v1/payments', usd({ reference: 'times-out' }), key);
      expect(slow.status).toBe(504);
      expect(slow.body.error.type).toBe('provider_timeout');
      await call(stack.sandboxes.flexiqashUrl, 'DELETE', '/__sandbox/faults');

      const unknown = await stack.api('GET', '/v1/payments?reference=times-out', undefined, key);
      expect(unknown.body.data).toHaveLength(1);
      expect(unknown.body.data[0].status).toBe('pending');
    });

    it('maps refused credentials to 502 and a closed port to 503', async () => {
      const broken = await startStack({ FLEXIQASH_API_TOKEN: 'not-the-token', FLASHPAY_BASE_URL: 'http://127.0.0.1:9' });
      try {
        const auth = await broken.api('POST', '/v1/payments', usd());
        expect(auth.status).toBe(502);
        expect(auth.body.error).toMatchObject({ type: 'provider_error', code: 'provider_credentials_rejected' });
        expect(JSON.stringify(auth.body)).not.toContain('not-the-token');
        const refused = await broken.api('POST', '/v1/payments', { amount: 100, currency: 'NGN', description: 'x', provider: 'flashpay' });
        expect(refused.status).toBe(503);
        expect(refused.body.error.type).toBe('provider_unavailable');
      } finally {
        await broken.close();
      }
    });
  });

  describe('health', () => {
    it('is live and ready', async () => {
      expect((await call(stack.url, 'GET', '/health/live')).status).toBe(200);
      const ready = await call(stack.url, 'GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.dependencies).toEqual({ postgres: { status: 'up' }, redis: { status: 'up' } });
    });
  });
});
