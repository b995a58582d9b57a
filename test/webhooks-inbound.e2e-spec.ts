import { createHmac } from 'node:crypto';
import { CreateWebhookEndpointInput, PaymentsClient } from '@app/client';
import { lastResponse } from './support/client';
import { call } from './support/http';
import { eventually } from './support/services';
import { startStack, Stack } from './support/stack';

const FLEXIQASH_SECRET = 'sandbox-flexiqash-webhook-secret';
const sign = (body: string, secret = FLEXIQASH_SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** The calls the FlexiQash tests make, bound to their stack and client. */
function helpers(stack: () => Stack, client: () => PaymentsClient) {
  return {
    newUsdPayment: () =>
      client().payments.create({ amount: 2500, currency: 'USD', description: 'Webhook test', payer: { name: 'A', email: 'a@example.com' } }),
    eventsOf: async (paymentId: string) =>
      (await client().events.list({ limit: 100 })).data.filter((e) => e.data.id === paymentId).map((e) => e.type).sort(),
    // Plain HTTP: the provider's inbound webhook route, outside /v1 and the client, with a raw signed body.
    flexiqashWebhook: (body: string, headers: Record<string, string>) =>
      call(stack().url, 'POST', '/webhooks/flexiqash', { rawBody: body, headers: { 'content-type': 'application/json', ...headers } }),
  };
}

describe('inbound provider webhooks and the outbox', () => {
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

  const { newUsdPayment, eventsOf, flexiqashWebhook } = helpers(() => stack, () => client);

  it('a payment paid on the FlexiQash checkout becomes succeeded through the signed webhook alone', async () => {
    const payment = await newUsdPayment();
    const paid = await fetch(payment.checkoutUrl!.replace(/\/request$/, '/pay'), { method: 'POST' });
    expect(paid.status).toBe(200);
    const read = await eventually(() => client.payments.get(payment.id), (p) => p.status === 'succeeded');
    expect(read.status).toBe('succeeded');
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
    const created = await client.payments.create({ amount: 50000, currency: 'NGN', description: 'Hint test', provider: 'flashpay' });
    // A forged hint claiming PAID: Flashpay still says OPEN, so nothing changes. (Plain HTTP: the inbound webhook.)
    const lie = await call(stack.url, 'POST', '/webhooks/flashpay', { body: { id: created.providerPaymentId, status: 'PAID', amount: 50000 } });
    expect(lie.status).toBe(200);
    const stillPending = await client.payments.get(created.id);
    expect(stillPending).toMatchObject({ status: 'pending', providerStatus: 'OPEN' });
    expect(await eventsOf(created.id)).toEqual(['payment.created']);

    // The payer pays; Flashpay posts the payment to its statusWebhook (the gateway), which re-reads and applies it.
    await fetch(`${stack.sandboxes.flashpayUrl}/checkout/${created.providerPaymentId}/pay`, { method: 'POST' });
    const paid = await eventually(() => client.payments.get(created.id), (p) => p.status === 'succeeded');
    expect(paid).toMatchObject({ status: 'succeeded', providerStatus: 'PAID' });
    expect(await eventsOf(created.id)).toEqual(['payment.created', 'payment.succeeded']);
  });

  it('records one event per change, with stable ids, visible only to the owner', async () => {
    const payment = await newUsdPayment();
    await client.payments.update(payment.id, { description: 'Renamed' });
    await client.payments.archive(payment.id);
    await client.payments.archive(payment.id); // no change, no event
    await client.payments.unarchive(payment.id);
    await client.payments.cancel(payment.id);
    await client.payments.refresh(payment.id); // nothing new at the provider
    expect(await eventsOf(payment.id)).toEqual(['payment.archived', 'payment.cancelled', 'payment.created', 'payment.unarchived', 'payment.updated']);

    const list = await client.events.list({ type: 'payment.cancelled' });
    const event = list.data.find((e) => e.data.id === payment.id)!;
    expect(event).toMatchObject({ type: 'payment.cancelled', data: { id: payment.id, status: 'cancelled' } });
    expect(event.id).toMatch(/^evt_/);
    expect(await client.events.get(event.id)).toEqual(event);
    const other = stack.clientFor(await stack.newKey());
    await expect(other.events.get(event.id)).rejects.toMatchObject({ status: 404 });
    // Plain HTTP: an event type the typed client cannot send.
    expect((await stack.api('GET', '/v1/events?type=nope', undefined, key)).status).toBe(422);
  });
});

describe('webhook endpoints API', () => {
  let stack: Stack;
  let key: string;
  let client: PaymentsClient;

  beforeAll(async () => {
    stack = await startStack({ WEBHOOK_ALLOW_PRIVATE_URLS: 'false' });
    key = await stack.newKey();
    client = stack.clientFor(key);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('creates an endpoint with a whsec_ secret shown once, lists, updates and deletes it', async () => {
    const created = await client.webhookEndpoints.create({ url: 'https://8.8.8.8/hooks', events: ['payment.succeeded'], description: 'ops' });
    expect(lastResponse(client).status).toBe(201);
    expect(created).toMatchObject({ url: 'https://8.8.8.8/hooks', events: ['payment.succeeded'], enabled: true });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    expect(Buffer.from(created.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

    const listed = await client.webhookEndpoints.list();
    expect(listed.data.map((e) => e.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain(created.secret);

    const patched = await client.webhookEndpoints.update(created.id, { events: ['*'], enabled: false });
    expect(patched).toMatchObject({ events: ['*'], enabled: false });
    const other = stack.clientFor(await stack.newKey());
    await expect(other.webhookEndpoints.get(created.id)).rejects.toMatchObject({ status: 404 });
    await client.webhookEndpoints.delete(created.id);
    expect(lastResponse(client).status).toBe(204);
    await expect(client.webhookEndpoints.get(created.id)).rejects.toMatchObject({ status: 404 });
  });

  it.each<[string, CreateWebhookEndpointInput]>([
    ['a loopback URL', { url: 'http://127.0.0.1:9999/h', events: ['*'] }],
    ['a private URL', { url: 'http://10.1.2.3/h', events: ['*'] }],
    ['an IPv6 loopback URL', { url: 'http://[::1]/h', events: ['*'] }],
    ['localhost', { url: 'http://localhost/h', events: ['*'] }],
    ['not a URL', { url: 'nope', events: ['*'] }],
    ['an ftp URL', { url: 'ftp://8.8.8.8/h', events: ['*'] }],
    ['credentials in the URL', { url: 'https://u:p@8.8.8.8/h', events: ['*'] }],
    ['no events', { url: 'https://8.8.8.8/h', events: [] }],
    ['* mixed with types', { url: 'https://8.8.8.8/h', events: ['*', 'payment.created'] }],
  ])('refuses %s with 422', async (_name, input) => {
    await expect(client.webhookEndpoints.create(input)).rejects.toMatchObject({ status: 422, type: 'invalid_request' });
  });

  it('refuses an unknown event type with 422', async () => {
    // Plain HTTP: an event type the typed client cannot send.
    const answer = await stack.api('POST', '/v1/webhook-endpoints', { url: 'https://8.8.8.8/h', events: ['payment.exploded'] }, key);
    expect(answer.status).toBe(422);
    expect(answer.body.error.type).toBe('invalid_request');
  });

  it('records a pending delivery per subscribed endpoint in the same transaction as the change', async () => {
    const endpoint = await client.webhookEndpoints.create({ url: 'https://8.8.8.8/all', events: ['*'] });
    const onlySucceeded = await client.webhookEndpoints.create({ url: 'https://8.8.8.8/ok', events: ['payment.succeeded'] });
    const payment = await client.payments.create({ amount: 100, currency: 'USD', description: 'outbox' });
    const deliveries = await client.webhookEndpoints.deliveries(endpoint.id);
    const created = (await client.events.list({ type: 'payment.created' })).data.find((e) => e.data.id === payment.id)!;
    expect(deliveries.data).toContainEqual(expect.objectContaining({ eventId: created.id, status: 'pending', attempt: 1 }));
    const none = await client.webhookEndpoints.deliveries(onlySucceeded.id);
    expect(none.data.find((d) => d.eventId === created.id)).toBeUndefined();

    const redelivered = await client.events.redeliver(created.id, { endpointId: onlySucceeded.id });
    expect(lastResponse(client).status).toBe(202);
    expect(redelivered.deliveries).toEqual([{ endpointId: onlySucceeded.id, status: 'pending' }]);
  });
});
