import { call } from './support/http';
import { freePort } from './support/processes';
import { startStack, Stack } from './support/stack';

const usd = (extra: Record<string, unknown> = {}) => ({ amount: 1000, currency: 'USD', description: 'Reliability', ...extra });
const createCount = async (stack: Stack, route = 'POST /api/payments/new') =>
  (await call(stack.sandboxes.flexiqashUrl, 'GET', '/__sandbox/requests')).body.counts[route] ?? 0;

describe('idempotency keys', () => {
  let stack: Stack;
  let key: string;

  beforeAll(async () => {
    stack = await startStack();
    key = await stack.newKey();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('replays the first response for the same key and body, and refuses another body', async () => {
    const headers = { 'Idempotency-Key': 'order-7-attempt' };
    const before = await createCount(stack);
    const first = await stack.api('POST', '/v1/payments', usd({ reference: 'idem-1' }), key, headers);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await stack.api('POST', '/v1/payments', usd({ reference: 'idem-1' }), key, headers);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await createCount(stack)).toBe(before + 1);

    const other = await stack.api('POST', '/v1/payments', usd({ reference: 'idem-2' }), key, headers);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    // The same key under another API key is another key.
    const otherKey = await stack.newKey();
    const separate = await stack.api('POST', '/v1/payments', usd({ reference: 'idem-2' }), otherKey, headers);
    expect(separate.status).toBe(201);
    expect(separate.body.id).not.toBe(first.body.id);
  });

  it('gives the key back after a validation error, so the corrected request runs', async () => {
    const headers = { 'Idempotency-Key': 'fix-and-retry' };
    const bad = await stack.api('POST', '/v1/payments', usd({ amount: 'ten' }), key, headers);
    expect(bad.status).toBe(422);
    const fixed = await stack.api('POST', '/v1/payments', usd(), key, headers);
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
  });

  it('a key revoked on one instance answers 401 at once on another that had it cached', async () => {
    const second = await stack.startGateway();
    const created = (await stack.api('POST', '/v1/api-keys', { name: 'revoked soon', scopes: ['payments:read'] })).body;
    const temporary = created.key;
    for (let i = 0; i < 3; i++) expect((await call(second.url, 'GET', '/v1/payments?limit=1', { key: temporary })).status).toBe(200);
    expect((await stack.api('DELETE', `/v1/api-keys/${created.id}`)).status).toBe(204);
    expect((await call(second.url, 'GET', '/v1/payments?limit=1', { key: temporary })).status).toBe(401);
    expect((await call(stack.url, 'GET', '/v1/payments?limit=1', { key: temporary })).status).toBe(401);
  });

  it('refuses malformed keys', async () => {
    const answer = await stack.api('POST', '/v1/payments', usd(), key, { 'Idempotency-Key': 'x'.repeat(256) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_idempotency_key');
  });

  it('50 concurrent creates with one key over two gateway processes make exactly one provider payment', async () => {
    await call(stack.sandboxes.flexiqashUrl, 'PUT', '/__sandbox/faults', { body: { latencyMs: 300 } });
    try {
      const second = await stack.startGateway();
      const before = await createCount(stack);
      const headers = { 'Idempotency-Key': 'burst-key-1' };
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => call(i % 2 ? second.url : stack.url, 'POST', '/v1/payments', { key, body: usd({ reference: 'burst' }), headers })),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
      const created = answers.filter((a) => a.status === 201);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
      expect(answers.filter((a) => a.status === 409).every((a) => a.body.error.code === 'idempotency_in_progress')).toBe(true);
      expect(await createCount(stack)).toBe(before + 1);
      const listed = await stack.api('GET', '/v1/payments?reference=burst', undefined, key);
      expect(listed.body.data).toHaveLength(1);
    } finally {
      await call(stack.sandboxes.flexiqashUrl, 'DELETE', '/__sandbox/faults');
    }
  });
});

describe('provider resilience', () => {
  it('fails over when the first provider refuses connections, but not when it times out', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const stack = await startStack({ PAYMENTS_FAILOVER: 'flexiqash=flashpay', FLASHPAY_CURRENCIES: 'NGN,USD', FLEXIQASH_BASE_URL: closed });
    try {
      const moved = await stack.api('POST', '/v1/payments', usd({ reference: 'failover' }));
      expect(moved.status).toBe(201);
      expect(moved.body.provider).toBe('flashpay');
      // Named explicitly, the provider is not swapped.
      const named = await stack.api('POST', '/v1/payments', usd({ provider: 'flexiqash' }));
      expect(named.status).toBe(503);
    } finally {
      await stack.close();
    }

    const slow = await startStack({ PAYMENTS_FAILOVER: 'flexiqash=flashpay', FLASHPAY_CURRENCIES: 'NGN,USD', PROVIDER_TIMEOUT_MS: '300' });
    try {
      await call(slow.sandboxes.flexiqashUrl, 'PUT', '/__sandbox/faults', { body: { latencyMs: 1000 } });
      const timedOut = await slow.api('POST', '/v1/payments', usd({ reference: 'no-failover' }));
      expect(timedOut.status).toBe(504);
      expect(timedOut.body.error.details.paymentId).toMatch(/^pay_/);
      const flashpayCreates = (await call(slow.sandboxes.flashpayUrl, 'GET', '/__sandbox/requests')).body.counts['POST /api/v1/payment'] ?? 0;
      expect(flashpayCreates).toBe(0);
      const kept = await slow.api('GET', `/v1/payments/${timedOut.body.error.details.paymentId}`);
      expect(kept.body).toMatchObject({ provider: 'flexiqash', status: 'pending', providerPaymentId: null });
    } finally {
      await slow.close();
    }
  });

  it('opens the circuit after repeated failures, shows it, and closes it after recovery', async () => {
    const stack = await startStack({ PROVIDER_CIRCUIT_THRESHOLD: '3', PROVIDER_CIRCUIT_OPEN_MS: '600' });
    try {
      await call(stack.sandboxes.flexiqashUrl, 'PUT', '/__sandbox/faults', { body: { failNext: 3, failStatus: 500 } });
      for (let i = 0; i < 3; i++) expect((await stack.api('POST', '/v1/payments', usd())).status).toBe(502);
      const before = await createCount(stack);
      const refused = await stack.api('POST', '/v1/payments', usd());
      expect(refused.status).toBe(503);
      expect(refused.body.error.type).toBe('provider_unavailable');
      expect(await createCount(stack)).toBe(before); // never reached the provider
      const open = await stack.api('GET', '/admin/providers');
      const flexiqash = open.body.data.find((p: { name: string }) => p.name === 'flexiqash');
      expect(flexiqash.circuit).toBe('open');
      expect(flexiqash.recent.errorRate).toBeGreaterThan(0);
      expect(JSON.stringify(open.body)).not.toContain('sandbox-flexiqash-token');

      await new Promise((resolve) => setTimeout(resolve, 700));
      expect((await stack.api('POST', '/v1/payments', usd())).status).toBe(201);
      const closed = await stack.api('GET', '/admin/providers');
      expect(closed.body.data.find((p: { name: string }) => p.name === 'flexiqash').circuit).toBe('closed');
    } finally {
      await stack.close();
    }
  });

  it('limits requests per API key across instances with 429 and Retry-After', async () => {
    const stack = await startStack({ RATE_LIMIT_PER_SECOND: '5' });
    try {
      const key = await stack.newKey();
      // Aligning to the start of a second keeps the burst inside one window.
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
      const answers = await Promise.all(Array.from({ length: 12 }, () => stack.api('GET', '/v1/payments?limit=1', undefined, key)));
      const limited = answers.filter((a) => a.status === 429);
      expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(5);
      expect(limited.length).toBeGreaterThanOrEqual(7);
      expect(limited[0].headers.get('retry-after')).toBe('1');
      expect(limited[0].body.error.type).toBe('rate_limited');
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
    const body = Buffer.concat([Buffer.from('{"amount": 100, "currency": "USD", "description": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const answer = await call(stack.url, 'POST', '/v1/payments', { key, rawBody: body, headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_utf8');
  });

  it('answers 1,000 generated bad requests across every route without a single 5xx', async () => {
    const payment = (await stack.api('POST', '/v1/payments', usd(), key)).body;
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
