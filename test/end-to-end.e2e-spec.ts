import { PaymentsApiError, PaymentsClient } from '@app/client';
import { newWebhookSecret } from '../libs/outbox/src/signature';
import { call } from './support/http';
import { AppProcess, startWorker } from './support/processes';
import { Receiver } from './support/receiver';
import { clearFaults, setFaults } from './support/sandbox';
import { eventually, until } from './support/services';
import { startStack, Stack } from './support/stack';

/**
 * The whole path, every part real and in its own process where it is in production: a payer pays on the sandbox
 * checkout page, FlexiQash's signed webhook reaches the gateway, the gateway confirms with FlexiQash and commits
 * the status with its event, the worker delivers the signed event to a subscribed service.
 */
describe('end to end: checkout → provider webhook → gateway → worker → subscribed service', () => {
  let stack: Stack;
  let worker: AppProcess;
  let client: PaymentsClient;

  beforeAll(async () => {
    stack = await startStack({ PROVIDER_TIMEOUT_MS: '400', PAYMENTS_UNKNOWN_FAIL_AFTER_MS: '2000' });
    worker = await startWorker({ ...stack.env, OUTBOX_SWEEP_INTERVAL_MS: '200', RECONCILE_INTERVAL_MS: '200', RECONCILE_AFTER_MS: '0' });
    client = stack.clientFor(await stack.newKey());
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
  });

  it('delivers a verified payment.succeeded to the subscribed receiver', async () => {
    const receiver = await Receiver.start(newWebhookSecret());
    try {
      const endpoint = await client.webhookEndpoints.create({ url: receiver.url, events: ['payment.succeeded'] });
      receiver.useSecret(endpoint.secret);

      const payment = await client.payments.create({ amount: 12399, currency: 'USD', description: 'Membership', payer: { name: 'John Smith', email: 'john@example.com' } });
      const paidAt = Date.now();
      expect((await fetch(payment.checkoutUrl!.replace(/\/request$/, '/pay'), { method: 'POST' })).status).toBe(200);

      await receiver.waitFor('payment.succeeded', () => receiver.received.length > 0, 10_000);
      const delivery = receiver.received[0];
      expect(delivery.verifyError).toBeNull();
      expect(delivery.payload).toMatchObject({ type: 'payment.succeeded', data: { id: payment.id, status: 'succeeded', amount: 12399, currency: 'USD' } });
      expect(delivery.headers['webhook-id']).toMatch(/^evt_/);
      process.stdout.write(`checkout paid → verified payment.succeeded received in ${delivery.at - paidAt} ms\n`);

      // Exactly once, and the delivery log says so: once it records the attempt as succeeded, nothing is
      // retried.
      const log = await eventually(
        () => client.webhookEndpoints.deliveries(endpoint.id),
        (page) => page.data[0]?.status === 'succeeded',
        10_000,
      );
      expect(receiver.received).toHaveLength(1);
      expect(log.data[0]).toMatchObject({ eventId: delivery.headers['webhook-id'], attempt: 1, status: 'succeeded', responseStatus: 200 });

      // A redelivery sends the same event (same webhook-id) again.
      const again = await client.events.redeliver(delivery.headers['webhook-id'], { endpointId: endpoint.id });
      expect(again).toEqual({ eventId: delivery.headers['webhook-id'], deliveries: [{ endpointId: endpoint.id, status: 'pending' }] });
      await receiver.waitFor('the redelivery', () => receiver.received.length === 2, 10_000);
      expect(receiver.received[1].headers['webhook-id']).toBe(delivery.headers['webhook-id']);
      expect(receiver.received[1].verifyError).toBeNull();
    } finally {
      await receiver.close();
    }
  });

  it('a create that timed out is found at the provider by its reference and adopted', async () => {
    // FlexiQash makes the payment but answers too late: the gateway gives up, not knowing the outcome.
    await setFaults(stack.sandboxes.flexiqashUrl, { responseDelayMs: 900 });
    let paymentId: string;
    try {
      // The 504 is stored for the create's Idempotency-Key: the client's retry gets it replayed and stops there.
      const answer = await client.payments.create({ amount: 777, currency: 'USD', description: 'Slow provider' }).catch((error: PaymentsApiError) => error);
      expect(answer).toBeInstanceOf(PaymentsApiError);
      expect(answer).toMatchObject({ status: 504, type: 'provider_timeout', replayed: true });
      paymentId = ((answer as PaymentsApiError).details as { paymentId: string }).paymentId;
    } finally {
      await clearFaults(stack.sandboxes.flexiqashUrl);
    }
    const flagged = await client.payments.get(paymentId);
    expect(flagged).toMatchObject({ status: 'pending', providerPaymentId: null });

    expect(await until(async () => (await client.payments.get(paymentId)).providerPaymentId !== null, 15_000)).toBe(true);
    const adopted = await client.payments.get(paymentId);
    const atProvider = await call(stack.sandboxes.flexiqashUrl, 'GET', `/api/payments/${adopted.providerPaymentId}/view`, { key: 'sandbox-flexiqash-token' });
    expect(atProvider.body.payee.reference).toBe(paymentId);
    const providerPayments = (await call(stack.sandboxes.flexiqashUrl, 'GET', '/api/payments', { key: 'sandbox-flexiqash-token' })).body.filter((p: { payee: { reference: string } }) => p.payee.reference === paymentId);
    expect(providerPayments).toHaveLength(1);
    const events = (await client.events.list({ type: 'payment.created' })).data.filter((e) => e.data.id === paymentId);
    expect(events).toHaveLength(1);
  });

  it('a create that failed ambiguously and never reached the provider is failed after the bounded wait', async () => {
    // FlexiQash holds the call and never carries it out (the worker's reconciliation calls are held too, so no
    // single-shot fault can be taken by them instead); the gateway times out without knowing the outcome.
    await setFaults(stack.sandboxes.flexiqashUrl, { hang: true });
    let answer: unknown;
    try {
      answer = await client.payments.create({ amount: 888, currency: 'USD', description: 'Lost create' }).catch((error: PaymentsApiError) => error);
    } finally {
      await clearFaults(stack.sandboxes.flexiqashUrl);
    }
    expect(answer).toBeInstanceOf(PaymentsApiError);
    // The client's retry with the same Idempotency-Key gets the stored answer, not a second payment.
    expect(answer).toMatchObject({ status: 504, type: 'provider_timeout', replayed: true });
    const paymentId = ((answer as PaymentsApiError).details as { paymentId: string }).paymentId;
    expect(await until(async () => (await client.payments.get(paymentId)).status === 'failed', 15_000)).toBe(true);
    const failed = await client.payments.get(paymentId);
    expect(failed).toMatchObject({ status: 'failed', providerStatus: 'not_created', providerPaymentId: null });
    const events = (await client.events.list({ type: 'payment.failed' })).data.filter((e) => e.data.id === paymentId);
    expect(events).toHaveLength(1);
  });
});
