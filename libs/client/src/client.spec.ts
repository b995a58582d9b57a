import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { PaymentsClient, paginate, RetryInfo } from './client';
import { PaymentsApiError } from './errors';
import { backoffDelay, isRetryable, parseRetryAfter } from './retry';
import { expandPath, ROUTES } from './routes';
import { PAYMENT_FIELDS } from './types';
// The same helper the end-to-end tests use.
import { rejection } from '../../../test/support/client';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}
interface Scripted {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

/** A gateway stand-in that answers from a script and records what it was sent. */
class FakeGateway {
  readonly seen: Seen[] = [];
  private script: Scripted[] = [];
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<FakeGateway> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeGateway(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        fake.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, at: Date.now() });
        const next = fake.script.shift() ?? { status: 200, body: {} };
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(next.status, { 'content-type': 'application/json', 'x-request-id': `req-${fake.seen.length}`, ...next.headers });
          res.end(next.body === undefined ? '' : JSON.stringify(next.body));
        };
        if (next.delayMs) setTimeout(send, next.delayMs);
        else send();
      });
    });
    return fake;
  }

  answer(...replies: Scripted[]): this {
    this.script.push(...replies);
    return this;
  }

  reset(): void {
    this.seen.length = 0;
    this.script = [];
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const envelope = (type: string, code: string, message = code, details?: unknown) => ({ error: { type, code, message, details }, requestId: 'req-envelope' });
const PAYMENT = { id: 'pay_1', object: 'payment', amount: 100, currency: 'USD', status: 'pending' };

describe('PaymentsClient against a scripted server', () => {
  let fake: FakeGateway;
  let client: PaymentsClient;
  let retries: RetryInfo[];

  beforeAll(async () => {
    fake = await FakeGateway.start();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    retries = [];
    client = new PaymentsClient({ baseUrl: `${fake.url}/`, apiKey: 'sk_test', retryBaseDelayMs: 5, onRetry: (info) => retries.push(info) });
  });

  it('sends the key, JSON and an Idempotency-Key on POST; none on GET; no content-type without a body', async () => {
    fake.answer({ status: 201, body: PAYMENT }, { status: 200, body: PAYMENT }, { status: 200, body: PAYMENT });
    await expect(client.payments.create({ amount: 100, currency: 'USD', description: 'x' })).resolves.toEqual(PAYMENT);
    await client.payments.get('pay_1');
    await client.payments.archive('pay_1');
    const [create, get, archive] = fake.seen;
    expect(create).toMatchObject({ method: 'POST', url: '/v1/payments', body: '{"amount":100,"currency":"USD","description":"x"}' });
    expect(create.headers).toMatchObject({ authorization: 'Bearer sk_test', 'content-type': 'application/json' });
    expect(create.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(create.headers['user-agent']).toMatch(/^paygw-client\//);
    expect(get.headers['idempotency-key']).toBeUndefined();
    expect(archive).toMatchObject({ method: 'POST', url: '/v1/payments/pay_1/archive', body: '' });
    expect(archive.headers['content-type']).toBeUndefined();
    expect(archive.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(archive.headers['idempotency-key']).not.toBe(create.headers['idempotency-key']);
  });

  it('uses the caller’s Idempotency-Key and X-Request-Id', async () => {
    fake.answer({ status: 201, body: PAYMENT });
    await client.payments.create({ amount: 1, currency: 'USD', description: 'x' }, { idempotencyKey: 'order-42', requestId: 'trace-1' });
    expect(fake.seen[0].headers).toMatchObject({ 'idempotency-key': 'order-42', 'x-request-id': 'trace-1' });
  });

  it('builds query strings and encodes path parameters', async () => {
    fake.answer({ status: 200, body: { data: [], nextCursor: null } }, { status: 200, body: PAYMENT });
    await client.payments.list({ status: 'pending', archived: false, limit: 5, reference: 'a b&c', cursor: undefined });
    await client.payments.get('pay/../x');
    expect(fake.seen[0].url).toBe('/v1/payments?status=pending&archived=false&limit=5&reference=a+b%26c');
    expect(fake.seen[1].url).toBe('/v1/payments/pay%2F..%2Fx');
  });

  it('retries a POST on 503 with the same Idempotency-Key, honouring Retry-After', async () => {
    fake.answer({ status: 503, body: envelope('provider_unavailable', 'provider_unreachable'), headers: { 'retry-after': '1' } }, { status: 201, body: PAYMENT });
    const started = Date.now();
    await expect(client.payments.create({ amount: 1, currency: 'USD', description: 'x' })).resolves.toEqual(PAYMENT);
    expect(fake.seen).toHaveLength(2);
    expect(fake.seen[1].headers['idempotency-key']).toBe(fake.seen[0].headers['idempotency-key']);
    expect(fake.seen[1].body).toBe(fake.seen[0].body);
    expect(fake.seen[1].at - fake.seen[0].at).toBeGreaterThanOrEqual(990);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(retries).toMatchObject([{ attempt: 1, method: 'POST', path: '/v1/payments' }]);
  });

  it('retries a POST while the first attempt is in progress (409 idempotency_in_progress), not on other conflicts', async () => {
    fake.answer({ status: 409, body: envelope('conflict', 'idempotency_in_progress') }, { status: 201, body: PAYMENT });
    await expect(client.payments.create({ amount: 1, currency: 'USD', description: 'x' })).resolves.toEqual(PAYMENT);
    expect(fake.seen).toHaveLength(2);
    fake.reset();
    fake.answer({ status: 409, body: envelope('conflict', 'invalid_state') });
    const error = await rejection(client.payments.archive('pay_1'));
    expect(error).toMatchObject({ status: 409, type: 'conflict', code: 'invalid_state', attempts: 1 });
    expect(fake.seen).toHaveLength(1);
  });

  it('stops at an answer replayed for the Idempotency-Key (it would only repeat)', async () => {
    const stored = { status: 502, body: envelope('provider_error', 'provider_server_error', 'upstream 503', { paymentId: 'pay_9' }), headers: { 'idempotent-replayed': 'true' } };
    fake.answer({ status: 502, body: envelope('provider_error', 'provider_server_error') }, stored);
    const error = await rejection(client.payments.create({ amount: 1, currency: 'USD', description: 'x' }));
    expect(error).toMatchObject({ status: 502, replayed: true, attempts: 2, details: { paymentId: 'pay_9' } });
    expect(fake.seen).toHaveLength(2);
    expect(error.idempotencyKey).toBe(fake.seen[0].headers['idempotency-key']);
  });

  it('gives up after `retries` more attempts and says how many were made', async () => {
    for (let i = 0; i < 4; i++) fake.answer({ status: 500, body: envelope('internal', 'internal_error') });
    const error = await rejection(client.payments.get('pay_1'));
    expect(error).toMatchObject({ status: 500, type: 'internal', attempts: 4, method: 'GET', path: '/v1/payments/pay_1' });
    expect(fake.seen).toHaveLength(4);
    fake.reset();
    fake.answer({ status: 500, body: envelope('internal', 'internal_error') }, { status: 200, body: PAYMENT });
    await expect(client.payments.get('pay_1', { retries: 0 })).rejects.toMatchObject({ attempts: 1 });
  });

  it('PATCH and DELETE retry on 502/503/504 only', async () => {
    fake.answer({ status: 500, body: envelope('internal', 'internal_error') });
    await expect(client.payments.update('pay_1', { description: 'y' })).rejects.toMatchObject({ status: 500, attempts: 1 });
    fake.reset();
    fake.answer({ status: 504, body: envelope('provider_timeout', 'provider_timeout') }, { status: 200, body: PAYMENT });
    await expect(client.payments.cancel('pay_1')).resolves.toEqual(PAYMENT);
    expect(fake.seen.map((s) => s.method)).toEqual(['DELETE', 'DELETE']);
    expect(fake.seen[0].headers['idempotency-key']).toBeUndefined();
  });

  it('retries 429 for every method, waiting Retry-After', async () => {
    fake.answer({ status: 429, body: envelope('rate_limited', 'rate_limited'), headers: { 'retry-after': '1' } }, { status: 200, body: { data: [] } });
    await client.webhookEndpoints.list();
    expect(fake.seen[1].at - fake.seen[0].at).toBeGreaterThanOrEqual(990);
  });

  it('retries PATCH and DELETE on 429 too, after Retry-After, without an Idempotency-Key', async () => {
    const limited = { status: 429, body: envelope('rate_limited', 'rate_limited'), headers: { 'retry-after': '1' } };
    // Both are refused once (the first two answers), then answered.
    fake.answer(limited, limited, { status: 200, body: PAYMENT }, { status: 200, body: PAYMENT });
    await expect(Promise.all([client.payments.update('pay_1', { description: 'y' }), client.payments.cancel('pay_1')])).resolves.toEqual([PAYMENT, PAYMENT]);
    expect(fake.seen.map((s) => s.method).sort()).toEqual(['DELETE', 'DELETE', 'PATCH', 'PATCH']);
    expect(retries.map((r) => [r.method, r.error.status]).sort()).toEqual([['DELETE', 429], ['PATCH', 429]]);
    for (const method of ['PATCH', 'DELETE']) {
      const [first, second] = fake.seen.filter((s) => s.method === method);
      expect(second.at - first.at).toBeGreaterThanOrEqual(990);
      expect(first.headers['idempotency-key']).toBeUndefined();
      expect(second.body).toBe(first.body);
    }
  });

  it('does not wait for a Retry-After longer than maxRetryAfterMs', async () => {
    const patient = new PaymentsClient({ baseUrl: fake.url, apiKey: 'k', maxRetryAfterMs: 500 });
    fake.answer({ status: 429, body: envelope('rate_limited', 'rate_limited'), headers: { 'retry-after': '30' } });
    await expect(patient.providers.list()).rejects.toMatchObject({ status: 429, retryAfterMs: 30_000, attempts: 1 });
  });

  it('throws typed errors from the envelope; requestId from the header when the body has none', async () => {
    fake.answer({ status: 422, body: envelope('invalid_request', 'validation_failed', 'bad', [{ field: 'amount', message: 'must be positive' }]) });
    const invalid = await rejection(client.payments.create({ amount: -1, currency: 'USD', description: 'x' }));
    expect(invalid).toMatchObject({ status: 422, type: 'invalid_request', code: 'validation_failed', message: 'bad', requestId: 'req-envelope', attempts: 1 });
    expect(invalid.fieldProblems).toEqual([{ field: 'amount', message: 'must be positive' }]);
    expect(invalid.name).toBe('PaymentsApiError');
    fake.answer({ status: 404, body: { error: { type: 'not_found', code: 'resource_not_found', message: 'nope' } } });
    expect(await rejection(client.payouts.get('po_1'))).toMatchObject({ status: 404, type: 'not_found', requestId: 'req-2' });
    fake.answer({ status: 502, body: 'Bad gateway from a proxy', headers: { 'content-type': 'text/plain' } }, { status: 403, body: undefined });
    await expect(client.webhookEndpoints.delete('we_1', { retries: 0 })).rejects.toMatchObject({ status: 502, type: 'provider_error', code: 'http_502' });
    await expect(client.apiKeys.list()).rejects.toMatchObject({ status: 403, type: 'permission', code: 'http_403' });
  });

  it('answers undefined for 204', async () => {
    fake.answer({ status: 204 });
    await expect(client.apiKeys.revoke('key_1')).resolves.toBeUndefined();
    expect(fake.seen[0]).toMatchObject({ method: 'DELETE', url: '/v1/api-keys/key_1' });
  });

  it('turns a refused connection into a network_error (status 0), retried', async () => {
    const closed = await FakeGateway.start();
    const url = closed.url;
    await closed.close();
    const offline = new PaymentsClient({ baseUrl: url, apiKey: 'k', retries: 2, retryBaseDelayMs: 1 });
    const error = await rejection(offline.payments.create({ amount: 1, currency: 'USD', description: 'x' }, { idempotencyKey: 'k-1' }));
    expect(error).toMatchObject({ type: 'network_error', code: 'ECONNREFUSED', status: 0, attempts: 3, idempotencyKey: 'k-1', requestId: null });
    expect(error.isTransport).toBe(true);
    expect(error.cause).toBeDefined();
  });

  it('turns no answer within timeoutMs into a timeout (status 0), retried with the same key', async () => {
    fake.answer({ status: 201, body: PAYMENT, delayMs: 400 }, { status: 201, body: PAYMENT });
    await expect(client.payments.create({ amount: 1, currency: 'USD', description: 'x' }, { timeoutMs: 100 })).resolves.toEqual(PAYMENT);
    expect(retries[0].error).toMatchObject({ type: 'timeout', code: 'timeout', status: 0 });
    expect(fake.seen[1].headers['idempotency-key']).toBe(fake.seen[0].headers['idempotency-key']);
    fake.reset();
    fake.answer({ status: 200, body: PAYMENT, delayMs: 300 });
    await expect(client.payments.get('pay_1', { timeoutMs: 50, retries: 0 })).rejects.toMatchObject({ type: 'timeout', status: 0, attempts: 1 });
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    fake.answer({ status: 200, body: PAYMENT, delayMs: 300 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(client.payments.get('pay_1', { signal: controller.signal })).rejects.toMatchObject({ type: 'network_error', code: 'aborted', attempts: 1 });
    expect(retries).toHaveLength(0);
  });

  it('pages through every item with listAll', async () => {
    fake.answer(
      { status: 200, body: { data: [{ id: 'pay_3' }, { id: 'pay_2' }], nextCursor: 'c1' } },
      { status: 200, body: { data: [{ id: 'pay_1' }], nextCursor: null } },
    );
    const ids: string[] = [];
    for await (const payment of client.payments.listAll({ limit: 2, status: 'pending' })) ids.push(payment.id);
    expect(ids).toEqual(['pay_3', 'pay_2', 'pay_1']);
    expect(fake.seen.map((s) => s.url)).toEqual(['/v1/payments?limit=2&status=pending', '/v1/payments?limit=2&status=pending&cursor=c1']);
  });

  it('rejects bad options early', () => {
    expect(() => new PaymentsClient({ baseUrl: 'localhost:3000', apiKey: 'k' })).toThrow(TypeError);
    expect(() => new PaymentsClient({ baseUrl: 'http://x', apiKey: '' })).toThrow(TypeError);
  });
});

describe('retry rules', () => {
  it.each([
    ['POST', 0, undefined, true],
    ['POST', 409, 'idempotency_in_progress', true],
    ['POST', 409, 'invalid_state', false],
    ['POST', 429, 'rate_limited', true],
    ['POST', 500, 'internal_error', true],
    ['POST', 502, 'provider_error', true],
    ['POST', 422, 'validation_failed', false],
    ['GET', 0, undefined, true],
    ['GET', 500, undefined, true],
    ['GET', 503, undefined, true],
    ['GET', 404, undefined, false],
    ['GET', 429, undefined, true],
    ['PATCH', 0, undefined, true],
    ['PATCH', 500, undefined, false],
    ['PATCH', 502, undefined, true],
    ['PATCH', 409, 'idempotency_in_progress', false],
    ['DELETE', 503, undefined, true],
    ['DELETE', 504, undefined, true],
    ['DELETE', 404, undefined, false],
  ] as const)('%s %s %s → %s', (method, status, code, expected) => {
    expect(isRetryable(method, { status, code })).toBe(expected);
  });

  it('never retries a replayed answer or an aborted call', () => {
    expect(isRetryable('POST', { status: 502, replayed: true })).toBe(false);
    expect(isRetryable('GET', { status: 0, aborted: true })).toBe(false);
  });

  it('backs off exponentially with jitter, capped; Retry-After is a floor', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, { ...options, random: () => 0 })).toBe(50);
    expect(backoffDelay(1, { ...options, random: () => 1 })).toBe(100);
    expect(backoffDelay(3, { ...options, random: () => 1 })).toBe(400);
    expect(backoffDelay(10, { ...options, random: () => 1 })).toBe(1000);
    expect(backoffDelay(1, { ...options, random: () => 0 }, 2000)).toBe(2000);
    expect(backoffDelay(1, { ...options, random: () => 0.5 }, 2000)).toBe(2050);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
  });
});

describe('routes and fields', () => {
  it('expands path templates and refuses empty ids', () => {
    expect(expandPath(ROUTES.getPayment.path, { id: 'pay_1' })).toBe('/v1/payments/pay_1');
    expect(() => expandPath(ROUTES.getPayment.path, { id: '' })).toThrow(TypeError);
  });

  it('lists every /v1 route once', () => {
    const keys = Object.values(ROUTES).map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.every((k) => / \/v1\//.test(k))).toBe(true);
  });

  it('keeps a runtime list of the Payment fields', () => {
    expect(Object.keys(PAYMENT_FIELDS)).toContain('checkoutUrl');
  });
});

it('paginate stops at a null cursor', async () => {
  const pages = [{ data: [1, 2], nextCursor: 'a' }, { data: [3], nextCursor: null }];
  const seen: Array<string | undefined> = [];
  const all: number[] = [];
  for await (const n of paginate(async (cursor) => (seen.push(cursor), pages.shift()!))) all.push(n);
  expect(all).toEqual([1, 2, 3]);
  expect(seen).toEqual([undefined, 'a']);
});
