import { CreatePaymentInput, Payment, PaymentsApiError, PaymentsClient } from '@app/client';
import { lastResponse, rejection, responses } from './support/client';
import { call } from './support/http';
import { freePort } from './support/processes';
import { clearFaults, sandboxCalls, setFaults } from './support/sandbox';
import { until } from './support/services';
import { ADMIN_KEY, startStack, Stack } from './support/stack';

const usd = (extra: Partial<CreatePaymentInput> = {}): CreatePaymentInput => ({ amount: 1000, currency: 'USD', description: 'Reliability', ...extra });
const createCount = (stack: Stack) => sandboxCalls(stack.sandboxes.flexiqashUrl, 'POST /api/payments/new');

describe('idempotency keys', () => {
  let stack: Stack;
  let key: string;
  let client: PaymentsClient;

  beforeAll(async () => {
    stack = await startStack();
    key = await stack.newKey();
    client = stack.clientFor(key);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('replays the first response for the same key and body, and refuses another body', async () => {
    const idempotencyKey = 'order-7-attempt';
    const before = await createCount(stack);
    const first = await client.payments.create(usd({ reference: 'idem-1' }), { idempotencyKey });
    expect(lastResponse(client).status).toBe(201);
    expect(lastResponse(client).headers.get('idempotent-replayed')).toBeNull();
    const again = await client.payments.create(usd({ reference: 'idem-1' }), { idempotencyKey });
    expect(lastResponse(client).status).toBe(201);
    expect(lastResponse(client).headers.get('idempotent-replayed')).toBe('true');
    expect(again).toEqual(first);
    expect(await createCount(stack)).toBe(before + 1);

    await expect(client.payments.create(usd({ reference: 'idem-2' }), { idempotencyKey })).rejects.toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    // The same key under another API key is another key.
    const other = stack.clientFor(await stack.newKey());
    const separate = await other.payments.create(usd({ reference: 'idem-2' }), { idempotencyKey });
    expect(lastResponse(other).status).toBe(201);
    expect(separate.id).not.toBe(first.id);
  });

  it('gives the key back after a validation error, so the corrected request runs', async () => {
    const idempotencyKey = 'fix-and-retry';
    // Plain HTTP: an amount of the wrong type, which the typed client cannot send.
    const bad = await stack.api('POST', '/v1/payments', { ...usd(), amount: 'ten' }, key, { 'Idempotency-Key': idempotencyKey });
    expect(bad.status).toBe(422);
    await client.payments.create(usd(), { idempotencyKey });
    expect(lastResponse(client).status).toBe(201);
    expect(lastResponse(client).headers.get('idempotent-replayed')).toBeNull();
  });

  it('a key revoked on one instance answers 401 at once on another that had it cached', async () => {
    const second = await stack.startGateway();
    const created = await stack.client.apiKeys.create({ name: 'revoked soon', scopes: ['payments:read'] });
    const onSecond = stack.clientFor(created.key, { baseUrl: second.url });
    const onFirst = stack.clientFor(created.key);
    for (let i = 0; i < 3; i++) {
      await onSecond.payments.list({ limit: 1 });
      expect(lastResponse(onSecond).status).toBe(200);
    }
    await stack.client.apiKeys.revoke(created.id);
    expect(lastResponse(stack.client).status).toBe(204);
    await expect(onSecond.payments.list({ limit: 1 })).rejects.toMatchObject({ status: 401 });
    await expect(onFirst.payments.list({ limit: 1 })).rejects.toMatchObject({ status: 401 });
  });

  it('refuses malformed keys', async () => {
    await expect(client.payments.create(usd(), { idempotencyKey: 'x'.repeat(256) })).rejects.toMatchObject({ status: 400, code: 'invalid_idempotency_key' });
  });

  it('50 concurrent creates with one key over two gateway processes make exactly one provider payment', async () => {
    await setFaults(stack.sandboxes.flexiqashUrl, { latencyMs: 300 });
    try {
      const second = await stack.startGateway();
      const before = await createCount(stack);
      // One attempt each, so every 409 idempotency_in_progress reaches the test instead of being retried.
      const clients = [stack.clientFor(key, { retries: 0 }), stack.clientFor(key, { baseUrl: second.url, retries: 0 })];
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => clients[i % 2].payments.create(usd({ reference: 'burst' }), { idempotencyKey: 'burst-key-1' })),
      );
      const statuses = clients.flatMap((c) => responses(c)).map((r) => r.status);
      expect(statuses).toHaveLength(50);
      expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
      const created = results.filter((r): r is PromiseFulfilledResult<Payment> => r.status === 'fulfilled').map((r) => r.value);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(created).toHaveLength(statuses.filter((s) => s === 201).length);
      expect(new Set(created.map((p) => p.id)).size).toBe(1);
      // The provider holds the first create for 300 ms, so the others arrive while it runs: they must be refused
      // with 409 idempotency_in_progress (not made to wait, not run).
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.map((e) => (e instanceof PaymentsApiError ? `${e.status} ${e.code}` : String(e)))).toEqual(refused.map(() => '409 idempotency_in_progress'));
      expect(await createCount(stack)).toBe(before + 1);
      const listed = await client.payments.list({ reference: 'burst' });
      expect(listed.data).toHaveLength(1);
    } finally {
      await clearFaults(stack.sandboxes.flexiqashUrl);
    }
  });
});

// One attempt per call (retries: 0) throughout: each answer is the gateway's to one request, and what reaches the
// providers and the circuit is what the test sent.
describe('provider resilience', () => {
  it('fails over when the first provider refuses connections, but not when it times out', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const stack = await startStack({ PAYMENTS_FAILOVER: 'flexiqash=flashpay', FLASHPAY_CURRENCIES: 'NGN,USD', FLEXIQASH_BASE_URL: closed });
    try {
      const admin = stack.clientFor(ADMIN_KEY, { retries: 0 });
      const moved = await admin.payments.create(usd({ reference: 'failover' }));
      expect(lastResponse(admin).status).toBe(201);
      expect(moved.provider).toBe('flashpay');
      // Named explicitly, the provider is not swapped.
      await expect(admin.payments.create(usd({ provider: 'flexiqash' }))).rejects.toMatchObject({ status: 503 });
    } finally {
      await stack.close();
    }

    const slow = await startStack({ PAYMENTS_FAILOVER: 'flexiqash=flashpay', FLASHPAY_CURRENCIES: 'NGN,USD', PROVIDER_TIMEOUT_MS: '300' });
    try {
      const admin = slow.clientFor(ADMIN_KEY, { retries: 0 });
      await setFaults(slow.sandboxes.flexiqashUrl, { latencyMs: 1000 });
      const timedOut = await rejection(admin.payments.create(usd({ reference: 'no-failover' })));
      expect(timedOut.status).toBe(504);
      const { paymentId } = timedOut.details as { paymentId: string };
      expect(paymentId).toMatch(/^pay_/);
      const flashpayCreates = await sandboxCalls(slow.sandboxes.flashpayUrl, 'POST /api/v1/payment');
      expect(flashpayCreates).toBe(0);
      const kept = await admin.payments.get(paymentId);
      expect(kept).toMatchObject({ provider: 'flexiqash', status: 'pending', providerPaymentId: null });
    } finally {
      await slow.close();
    }
  });

  it('opens the circuit after repeated failures, shows it, and closes it after recovery', async () => {
    const stack = await startStack({ PROVIDER_CIRCUIT_THRESHOLD: '3', PROVIDER_CIRCUIT_OPEN_MS: '600' });
    try {
      const admin = stack.clientFor(ADMIN_KEY, { retries: 0 });
      await setFaults(stack.sandboxes.flexiqashUrl, { failNext: 3, failStatus: 500 });
      for (let i = 0; i < 3; i++) await expect(admin.payments.create(usd())).rejects.toMatchObject({ status: 502 });
      const before = await createCount(stack);
      await expect(admin.payments.create(usd())).rejects.toMatchObject({ status: 503, type: 'provider_unavailable' });
      expect(await createCount(stack)).toBe(before); // never reached the provider
      // Plain HTTP: /admin/providers is outside /v1 and the client.
      const open = await stack.api('GET', '/admin/providers');
      const flexiqash = open.body.data.find((p: { name: string }) => p.name === 'flexiqash');
      expect(flexiqash.circuit).toBe('open');
      expect(flexiqash.recent.errorRate).toBeGreaterThan(0);
      expect(JSON.stringify(open.body)).not.toContain('sandbox-flexiqash-token');

      // After PROVIDER_CIRCUIT_OPEN_MS the next call is a trial: the circuit shows half_open until it decides.
      const circuit = async () => (await stack.api('GET', '/admin/providers')).body.data.find((p: { name: string }) => p.name === 'flexiqash').circuit;
      expect(await until(async () => (await circuit()) === 'half_open', 5_000, 50)).toBe(true);
      await admin.payments.create(usd());
      expect(lastResponse(admin).status).toBe(201);
      const closed = await stack.api('GET', '/admin/providers');
      expect(closed.body.data.find((p: { name: string }) => p.name === 'flexiqash').circuit).toBe('closed');
    } finally {
      await stack.close();
    }
  });

  it('limits requests per API key across instances with 429 and Retry-After', async () => {
    const stack = await startStack({ RATE_LIMIT_PER_SECOND: '5' });
    try {
      const client = stack.clientFor(await stack.newKey(), { retries: 0 });
      // Aligning to the start of a second keeps the burst inside one window.
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => client.payments.list({ limit: 1 })));
      const answers = responses(client);
      expect(answers).toHaveLength(12);
      const limited = answers.filter((a) => a.status === 429);
      expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(5);
      expect(limited.length).toBeGreaterThanOrEqual(7);
      expect(limited[0].headers.get('retry-after')).toBe('1');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as PaymentsApiError);
      expect(refused.filter((e) => e.status === 429).map((e) => e.type)).toEqual(limited.map(() => 'rate_limited'));
    } finally {
      await stack.close();
    }
  });
});

describe('hard edges', () => {
  let stack: Stack;
  let key: string;

  beforeAll(async () => {
    stack = await startStack();
    key = await stack.newKey();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses bad UTF-8 with 400', async () => {
    // Plain HTTP: a body that is not UTF-8, which the client cannot send.
    const body = Buffer.concat([Buffer.from('{"amount": 100, "currency": "USD", "description": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const answer = await call(stack.url, 'POST', '/v1/payments', { key, rawBody: body, headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_utf8');
  });

  it('answers 1,000 generated bad requests across every route without a single 5xx', async () => {
    const payment = await stack.clientFor(key).payments.create(usd());
    const routes: Array<[string, string]> = [
      ['POST', '/v1/payments'], ['GET', '/v1/payments'], ['GET', `/v1/payments/${payment.id}`], ['PATCH', `/v1/payments/${payment.id}`],
      ['DELETE', '/v1/payments/pay_x'], ['POST', `/v1/payments/${payment.id}/archive`], ['POST', '/v1/payments/pay_x/unarchive'],
      ['GET', '/v1/payments/pay_x/transactions'], ['POST', '/v1/payments/pay_x/refresh'], ['POST', '/v1/payouts'], ['GET', '/v1/payouts'],
      ['GET', '/v1/payouts/po_x'], ['GET', '/v1/beneficiaries'], ['GET', '/v1/providers'], ['POST', '/v1/api-keys'], ['DELETE', '/v1/api-keys/key_x'],
      ['POST', '/v1/webhook-endpoints'], ['PATCH', '/v1/webhook-endpoints/we_x'], ['GET', '/v1/events'], ['POST', '/v1/events/evt_x/redeliver'],
      ['PUT', '/admin/routing'], ['POST', '/webhooks/flexiqash'], ['POST', '/webhooks/flashpay'],
    ];
    // A deterministic generator: the same run every time, so a failure can be replayed.
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const values: unknown[] = [null, true, -1, 0, 1.5, 1e308, -0, 'x', '', '\u0000', '💸', 'A'.repeat(5000), [], {}, [1, [2, [3]]], { a: { b: { c: {} } } }, 9007199254740993, 'USD', 'pay_x', '*'];
    const fields = ['amount', 'currency', 'description', 'reference', 'provider', 'payer', 'payee', 'metadata', 'url', 'events', 'name', 'scopes', 'defaultProvider', 'currencyRoutes', 'beneficiaryId', 'destination', 'endpointId', '__proto__', 'constructor', 'id', 'paymentReference'];
    const queries = ['', '?limit=-1', '?limit=1e3', '?cursor=%00', '?status[]=x', '?provider=flexiqash&provider=flashpay', '?type=*', '?archived=1', '?reference=' + 'r'.repeat(300)];
    const rawBodies = ['{', '[]', 'null', '"s"', '{"a":1}x', '\ufeff{}', '{"a":' + '['.repeat(1000) + ']'.repeat(1000) + '}'];

    // Plain HTTP: bad bodies, bad query values, wrong content types, bogus keys and routes outside /v1.
    const failures: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const [method, path] = routes[rand(routes.length)];
      const query = method === 'GET' ? queries[rand(queries.length)] : '';
      let raw: string | undefined;
      if (method !== 'GET' && method !== 'DELETE') {
        if (rand(5) === 0) raw = rawBodies[rand(rawBodies.length)];
        else {
          const body: Record<string, unknown> = {};
          for (let f = rand(4); f >= 0; f--) body[fields[rand(fields.length)]] = values[rand(values.length)];
          raw = JSON.stringify(body);
        }
      }
      const contentType = ['application/json', 'text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded'][rand(8) < 5 ? 0 : rand(4)];
      const answer = await call(stack.url, method, path + query, { key: rand(10) === 0 ? 'sk_bogus' : key, rawBody: raw, headers: raw === undefined ? {} : { 'content-type': contentType } });
      if (answer.status >= 500) failures.push(`${method} ${path}${query} ${contentType} ${raw?.slice(0, 80)} → ${answer.status} ${answer.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
  });
});
