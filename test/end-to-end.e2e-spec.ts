import { newWebhookSecret } from '../libs/outbox/src/signature';
import { call } from './support/http';
import { AppProcess, startWorker } from './support/processes';
import { Receiver } from './support/receiver';
import { until } from './support/services';
import { startStack, Stack } from './support/stack';

/**
 * The whole path, every part real and in its own process where it is in production: a payer pays on the sandbox
 * checkout page, FlexiQash's signed webhook reaches the gateway, the gateway confirms with FlexiQash and commits
 * the status with its event, the worker delivers the signed event to a subscribed service.
 */
describe('end to end: checkout → provider webhook → gateway → worker → subscribed service', () => {
  let stack: Stack;
  let worker: AppProcess;
  let key: string;

  beforeAll(async () => {
    stack = await startStack({ PROVIDER_TIMEOUT_MS: '400', PAYMENTS_UNKNOWN_FAIL_AFTER_MS: '2000' });
    worker = await startWorker({ ...stack.env, OUTBOX_SWEEP_INTERVAL_MS: '200', RECONCILE_INTERVAL_MS: '200', RECONCILE_AFTER_MS: '0' });
    key = await stack.newKey();
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
  });

  it('delivers a verified payment.succeeded to the subscribed receiver', async () => {
    const receiver = await Receiver.start(newWebhookSecret());
    try {
      const endpoint = await stack.api('POST', '/v1/webhook-endpoints', { url: receiver.url, events: ['payment.succeeded'] }, key);
      expect(endpoint.status).toBe(201);
      receiver.useSecret(endpoint.body.secret);

      const payment = (await stack.api('POST', '/v1/payments', { amount: 12399, currency: 'USD', description: 'Membership', payer: { name: 'John Smith', email: 'john@example.com' } }, key)).body;
      const paidAt = Date.now();
      expect((await fetch(payment.checkoutUrl.replace(/\/request$/, '/pay'), { method: 'POST' })).status).toBe(200);

      await receiver.waitFor('payment.succeeded', () => receiver.received.length > 0, 10_000);
      const delivery = receiver.received[0];
      expect(delivery.verifyError).toBeNull();
      expect(delivery.payload).toMatchObject({ type: 'payment.succeeded', data: { id: payment.id, status: 'succeeded', amount: 12399, currency: 'USD' } });
      expect(delivery.headers['webhook-id']).toMatch(/^evt_/);
      process.stdout.write(`checkout paid → verified payment.succeeded received in ${delivery.at - paidAt} ms\n`);

      // Exactly once, and the delivery log says so.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.received).toHaveLength(1);
      const log = await stack.api('GET', `/v1/webhook-endpoints/${endpoint.body.id}/deliveries`, undefined, key);
      expect(log.body.data[0]).toMatchObject({ eventId: delivery.headers['webhook-id'], attempt: 1, status: 'succeeded', responseStatus: 200 });

      // A redelivery sends the same event (same webhook-id) again.
      const again = await stack.api('POST', `/v1/events/${delivery.headers['webhook-id']}/redeliver`, { endpointId: endpoint.body.id }, key);
      expect(again.status).toBe(202);
      await receiver.waitFor('the redelivery', () => receiver.received.length === 2, 10_000);
      expect(receiver.received[1].headers['webhook-id']).toBe(delivery.headers['webhook-id']);
      expect(receiver.received[1].verifyError).toBeNull();
    } finally {
      await receiver.close();
    }
  });

  it('a create that timed out is found at the provider by its reference and adopted', async () => {
    // FlexiQash makes the payment but answers too late: the gateway gives up, not knowing the outcome.
    await call(stack.sandboxes.flexiqashUrl, 'PUT', '/__sandbox/faults', { body: { responseDelayMs: 900 } });
    let paymentId: string;
    try {
      const answer = await stack.api('POST', '/v1/payments', { amount: 777, currency: 'USD', description: 'Slow provider' }, key);
      expect(answer.status).toBe(504);
      paymentId = answer.body.error.details.paymentId;
    } finally {
      await call(stack.sandboxes.flexiqashUrl, 'DELETE', '/__sandbox/faults');
    }
    const flagged = await stack.api('GET', `/v1/payments/${paymentId}`, undefined, key);
    expect(flagged.body).toMatchObject({ status: 'pending', providerPaymentId: null });

    expect(await until(async () => (await stack.api('GET', `/v1/payments/${paymentId}`, undefined, key)).body.providerPaymentId !== null, 15_000)).toBe(true);
    const adopted = (await stack.api('GET', `/v1/payments/${paymentId}`, undefined, key)).body;
    const atProvider = await call(stack.sandboxes.flexiqashUrl, 'GET', `/api/payments/${adopted.providerPaymentId}/view`, { key: 'sandbox-flexiqash-token' });
    expect(atProvider.body.payee.reference).toBe(paymentId);
    const providerPayments = (await call(stack.sandboxes.flexiqashUrl, 'GET', '/api/payments', { key: 'sandbox-flexiqash-token' })).body.filter((p: { payee: { reference: string } }) => p.payee.reference === paymentId);
    expect(providerPayments).toHaveLength(1);
    const events = (await stack.api('GET', '/v1/events?type=payment.created', undefined, key)).body.data.filter((e: { data: { id: string } }) => e.data.id === paymentId);
    expect(events).toHaveLength(1);
  });

  it('a create that failed ambiguously and never reached the provider is failed after the bounded wait', async () => {
    await call(stack.sandboxes.flexiqashUrl, 'PUT', '/__sandbox/faults', { body: { failNext: 1, failStatus: 503 } });
    const answer = await stack.api('POST', '/v1/payments', { amount: 888, currency: 'USD', description: 'Lost create' }, key);
    expect(answer.status).toBe(502);
    const paymentId = answer.body.error.details.paymentId;
    expect(await until(async () => (await stack.api('GET', `/v1/payments/${paymentId}`, undefined, key)).body.status === 'failed', 15_000)).toBe(true);
    const failed = (await stack.api('GET', `/v1/payments/${paymentId}`, undefined, key)).body;
    expect(failed).toMatchObject({ status: 'failed', providerStatus: 'not_created', providerPaymentId: null });
    const events = (await stack.api('GET', '/v1/events?type=payment.failed', undefined, key)).body.data.filter((e: { data: { id: string } }) => e.data.id === paymentId);
    expect(events).toHaveLength(1);
  });
});
