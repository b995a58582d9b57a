import { CreatePaymentInput } from '@app/client';
import { lastResponse } from './support/client';
import { call } from './support/http';
import { sandboxCalls, setFaults } from './support/sandbox';
import { until } from './support/services';
import { ADMIN_KEY, startStack, Stack } from './support/stack';

const usd = (extra: Partial<CreatePaymentInput> = {}): CreatePaymentInput => ({ amount: 1000, currency: 'USD', description: 'Reliability', ...extra });
const createCount = (stack: Stack) => sandboxCalls(stack.sandboxes.flexiqashUrl, 'POST /api/payments/new');

// Idempotency, revocation, rate limits and failover are held in process (test/integration/idempotency, auth,
// payments); what stays here needs the gateway as a process: the circuit against a real provider over HTTP, and
// bytes and bodies only a socket carries.
describe('the gateway process under bad providers and bad input', () => {
  let stack: Stack;
  let key: string;

  beforeAll(async () => {
    stack = await startStack({ PROVIDER_CIRCUIT_THRESHOLD: '3', PROVIDER_CIRCUIT_OPEN_MS: '600' });
    key = await stack.newKey();
  });
  afterAll(async () => {
    await stack?.close();
  });

  // One attempt per call (retries: 0): what reaches the provider and the circuit is what the test sent.
  it('opens the circuit after repeated failures, shows it, and closes it after recovery', async () => {
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
