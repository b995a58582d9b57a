import { createHmac } from 'node:crypto';
import { call } from './support/http';
import { eventually } from './support/services';
import { startStack, Stack } from './support/stack';

const FLEXIQASH_SECRET = 'sandbox-flexiqash-webhook-secret';
const sign = (body: string, secret = FLEXIQASH_SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** The calls both FlexiQash describes make, bound to their stack and key. */
function helpers(stack: () => Stack, key: () => string) {
  return {
    newUsdPayment: async () =>
      (await stack().api('POST', '/v1/payments', { amount: 2500, currency: 'USD', description: 'Webhook test', payer: { name: 'A', email: 'a@example.com' } }, key())).body,
    eventsOf: async (paymentId: string) =>
      (await stack().api('GET', '/v1/events?limit=100', undefined, key())).body.data.filter((e: any) => e.data.id === paymentId).map((e: any) => e.type).sort(),
    flexiqashWebhook: (body: string, headers: Record<string, string>) =>
      call(stack().url, 'POST', '/webhooks/flexiqash', { rawBody: body, headers: { 'content-type': 'application/json', ...headers } }),
  };
}

describe('inbound provider webhooks and the outbox', () => {
  let stack: Stack;
  let key: string;

  beforeAll(async () => {
    stack = await startStack();
    key = await stack.newKey();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const { newUsdPayment, eventsOf, flexiqashWebhook } = helpers(() => stack, () => key);

  it('a payment paid on the FlexiQash checkout becomes succeeded through the signed webhook alone', async () => {
    const payment = await newUsdPayment();
    const paid = await fetch(payment.checkoutUrl.replace(/\/request$/, '/pay'), { method: 'POST' });
    expect(paid.status).toBe(200);
    const read = await eventually(() => stack.api('GET', `/v1/payments/${payment.id}`, undefined, key), (r) => r.body.status === 'succeeded');
    expect(read.body.status).toBe('succeeded');
    expect(await eventsOf(payment.id)).toEqual(['payment.created', 'payment.succeeded']);
  });

  it('answers 200 for an unknown payment so the provider stops retrying', async () => {
    const body = JSON.stringify({ paymentReference: '00000000-0000-0000-0000-000000000000', transaction: { amount: 1, reference: 'r', status: 'success', statusMessage: 'ok' } });
    const answer = await flexiqashWebhook(body, { 'x-flexiqash-signature': sign(body) });
    expect(answer.status).toBe(200);
    expect(answer.body.outcome).toBe('unknown_payment');
    const malformed = JSON.stringify({ transaction: {} });
    expect((await flexiqashWebhook(malformed, { 'x-flexiqash-signature': sign(malformed) })).status).toBe(422);
  });

  it('trusts a Flashpay notification only after re-reading the payment from Flashpay', async () => {
    const created = (await stack.api('POST', '/v1/payments', { amount: 50000, currency: 'NGN', description: 'Hint test', provider: 'flashpay' }, key)).body;
    // A forged hint claiming PAID: Flashpay still says OPEN, so nothing changes.
    const lie = await call(stack.url, 'POST', '/webhooks/flashpay', { body: { id: created.providerPaymentId, status: 'PAID', amount: 50000 } });
    expect(lie.status).toBe(200);
    const stillPending = await stack.api('GET', `/v1/payments/${created.id}`, undefined, key);
    expect(stillPending.body).toMatchObject({ status: 'pending', providerStatus: 'OPEN' });
    expect(await eventsOf(created.id)).toEqual(['payment.created']);

    // The payer pays; Flashpay posts the payment to its statusWebhook (the gateway), which re-reads and applies it.
    await fetch(`${stack.sandboxes.flashpayUrl}/checkout/${created.providerPaymentId}/pay`, { method: 'POST' });
    const paid = await eventually(() => stack.api('GET', `/v1/payments/${created.id}`, undefined, key), (r) => r.body.status === 'succeeded');
    expect(paid.body).toMatchObject({ status: 'succeeded', providerStatus: 'PAID' });
    expect(await eventsOf(created.id)).toEqual(['payment.created', 'payment.succeeded']);
  });

  it('records one event per change, with stable ids, visible only to the owner', async () => {
    const payment = await newUsdPayment();
    await stack.api('PATCH', `/v1/payments/${payment.id}`, { description: 'Renamed' }, key);
    await stack.api('POST', `/v1/payments/${payment.id}/archive`, undefined, key);
    await stack.api('POST', `/v1/payments/${payment.id}/archive`, undefined, key); // no change, no event
    await stack.api('POST', `/v1/payments/${payment.id}/unarchive`, undefined, key);
    await stack.api('DELETE', `/v1/payments/${payment.id}`, undefined, key);
    await stack.api('POST', `/v1/payments/${payment.id}/refresh`, undefined, key); // nothing new at the provider
    expect(await eventsOf(payment.id)).toEqual(['payment.archived', 'payment.cancelled', 'payment.created', 'payment.unarchived', 'payment.updated']);

    const list = await stack.api('GET', '/v1/events?type=payment.cancelled', undefined, key);
    const event = list.body.data.find((e: any) => e.data.id === payment.id);
    expect(event).toMatchObject({ type: 'payment.cancelled', data: { id: payment.id, status: 'cancelled' } });
    expect(event.id).toMatch(/^evt_/);
    expect((await stack.api('GET', `/v1/events/${event.id}`, undefined, key)).body).toEqual(event);
    const other = await stack.newKey();
    expect((await stack.api('GET', `/v1/events/${event.id}`, undefined, other)).status).toBe(404);
    expect((await stack.api('GET', '/v1/events?type=nope', undefined, key)).status).toBe(422);
  });
});

describe('FlexiQash webhooks sent by the test (the sandbox sends none)', () => {
  let stack: Stack;
  let key: string;

  beforeAll(async () => {
    stack = await startStack({}, { flexiqashWebhookUrl: '' });
    key = await stack.newKey();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const { newUsdPayment, eventsOf, flexiqashWebhook } = helpers(() => stack, () => key);

  it('refuses a missing or wrong signature and a tampered body with 401, changing nothing', async () => {
    // The payment really is paid at FlexiQash, so an accepted webhook would change it: a refusal must not.
    const payment = await newUsdPayment();
    expect((await fetch(payment.checkoutUrl.replace(/\/request$/, '/pay'), { method: 'POST' })).status).toBe(200);
    const body = JSON.stringify({ paymentReference: payment.providerPaymentId, transaction: { amount: 25, reference: 'x', status: 'success', statusMessage: 'Payment Accepted' } });
    const tampered = body.replace('"amount":25', '"amount":26');
    for (const [headers, text] of [
      [{}, body],
      [{ 'x-flexiqash-signature': 'sha256=' + '0'.repeat(64) }, body],
      [{ 'x-flexiqash-signature': sign(body, 'another-secret') }, body],
      [{ 'x-flexiqash-signature': sign(body) }, tampered],
      [{ 'x-flexiqash-signature': 'md5=abc' }, body],
    ] as Array<[Record<string, string>, string]>) {
      const answer = await flexiqashWebhook(text, headers);
      expect(answer.status).toBe(401);
      expect(answer.body.error.type).toBe('authentication');
    }
    expect((await stack.api('GET', `/v1/payments/${payment.id}`, undefined, key)).body.status).toBe('pending');
    expect(await eventsOf(payment.id)).toEqual(['payment.created']);
  });

  it('applies a delivery replayed three times once, emitting one event', async () => {
    const payment = await newUsdPayment();
    await fetch(payment.checkoutUrl.replace(/\/request$/, '/pay'), { method: 'POST' });
    const body = JSON.stringify({ paymentReference: payment.providerPaymentId, transaction: { amount: 25, reference: 'replayed', status: 'success', statusMessage: 'Payment Accepted' } });
    const outcomes = [];
    for (let i = 0; i < 3; i++) {
      const answer = await flexiqashWebhook(body, { 'x-flexiqash-signature': sign(body) });
      expect(answer.status).toBe(200);
      outcomes.push(answer.body.outcome);
    }
    expect(outcomes).toEqual(['applied', 'duplicate', 'duplicate']);
    expect((await stack.api('GET', `/v1/payments/${payment.id}`, undefined, key)).body.status).toBe('succeeded');
    expect(await eventsOf(payment.id)).toEqual(['payment.created', 'payment.succeeded']);
  });

});

describe('webhook endpoints API', () => {
  let stack: Stack;
  let key: string;

  beforeAll(async () => {
    stack = await startStack({ WEBHOOK_ALLOW_PRIVATE_URLS: 'false' });
    key = await stack.newKey();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('creates an endpoint with a whsec_ secret shown once, lists, updates and deletes it', async () => {
    const created = await stack.api('POST', '/v1/webhook-endpoints', { url: 'https://8.8.8.8/hooks', events: ['payment.succeeded'], description: 'ops' }, key);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: 'https://8.8.8.8/hooks', events: ['payment.succeeded'], enabled: true });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    expect(Buffer.from(created.body.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

    const listed = await stack.api('GET', '/v1/webhook-endpoints', undefined, key);
    expect(listed.body.data.map((e: any) => e.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);

    const patched = await stack.api('PATCH', `/v1/webhook-endpoints/${created.body.id}`, { events: ['*'], enabled: false }, key);
    expect(patched.body).toMatchObject({ events: ['*'], enabled: false });
    const other = await stack.newKey();
    expect((await stack.api('GET', `/v1/webhook-endpoints/${created.body.id}`, undefined, other)).status).toBe(404);
    expect((await stack.api('DELETE', `/v1/webhook-endpoints/${created.body.id}`, undefined, key)).status).toBe(204);
    expect((await stack.api('GET', `/v1/webhook-endpoints/${created.body.id}`, undefined, key)).status).toBe(404);
  });

  it.each([
    ['a loopback URL', { url: 'http://127.0.0.1:9999/h', events: ['*'] }],
    ['a private URL', { url: 'http://10.1.2.3/h', events: ['*'] }],
    ['an IPv6 loopback URL', { url: 'http://[::1]/h', events: ['*'] }],
    ['localhost', { url: 'http://localhost/h', events: ['*'] }],
    ['not a URL', { url: 'nope', events: ['*'] }],
    ['an ftp URL', { url: 'ftp://8.8.8.8/h', events: ['*'] }],
    ['credentials in the URL', { url: 'https://u:p@8.8.8.8/h', events: ['*'] }],
    ['an unknown event type', { url: 'https://8.8.8.8/h', events: ['payment.exploded'] }],
    ['no events', { url: 'https://8.8.8.8/h', events: [] }],
    ['* mixed with types', { url: 'https://8.8.8.8/h', events: ['*', 'payment.created'] }],
  ])('refuses %s with 422', async (_name, body) => {
    const answer = await stack.api('POST', '/v1/webhook-endpoints', body, key);
    expect(answer.status).toBe(422);
    expect(answer.body.error.type).toBe('invalid_request');
  });

  it('records a pending delivery per subscribed endpoint in the same transaction as the change', async () => {
    const endpoint = (await stack.api('POST', '/v1/webhook-endpoints', { url: 'https://8.8.8.8/all', events: ['*'] }, key)).body;
    const onlySucceeded = (await stack.api('POST', '/v1/webhook-endpoints', { url: 'https://8.8.8.8/ok', events: ['payment.succeeded'] }, key)).body;
    const payment = (await stack.api('POST', '/v1/payments', { amount: 100, currency: 'USD', description: 'outbox' }, key)).body;
    const deliveries = await stack.api('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`, undefined, key);
    const created = (await stack.api('GET', '/v1/events?type=payment.created', undefined, key)).body.data.find((e: any) => e.data.id === payment.id);
    expect(deliveries.body.data).toContainEqual(expect.objectContaining({ eventId: created.id, status: 'pending', attempt: 1 }));
    const none = await stack.api('GET', `/v1/webhook-endpoints/${onlySucceeded.id}/deliveries`, undefined, key);
    expect(none.body.data.find((d: any) => d.eventId === created.id)).toBeUndefined();

    const redelivered = await stack.api('POST', `/v1/events/${created.id}/redeliver`, { endpointId: onlySucceeded.id }, key);
    expect(redelivered.status).toBe(202);
    expect(redelivered.body.deliveries).toEqual([{ endpointId: onlySucceeded.id, status: 'pending' }]);
  });
});
