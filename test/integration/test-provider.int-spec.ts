import { startInProcessGateway, InProcessGateway } from '../support/in-process';
import { testpayModule } from '../../libs/providers/test-support/testpay/testpay.module';
import { TestpayServer } from '../../libs/providers/test-support/testpay/testpay.server';
import { signTestpay } from '../../libs/providers/test-support/testpay/testpay.webhook';

const TOKEN = 'tp-int-token-0123456789';
const SECRET = 'tp-int-webhook-secret-0123';

/**
 * The core with a provider it has never heard of, registered the one way every provider is: routing, the lifecycle,
 * the inbound route, health, the provider list and metrics all serve it without naming it.
 */
describe('a provider registered only in the tests', () => {
  const server = new TestpayServer(TOKEN);
  let gw: InProcessGateway;
  beforeAll(async () => {
    const url = await server.start();
    gw = await startInProcessGateway({
      extraProviders: [testpayModule],
      env: { TESTPAY_BASE_URL: url, TESTPAY_API_TOKEN: TOKEN, TESTPAY_WEBHOOK_SECRET: SECRET, PAYMENTS_CURRENCY_ROUTES: 'EUR=testpay' },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await server.stop();
  });

  const notify = (body: unknown, signature?: string) => {
    const raw = JSON.stringify(body);
    return gw.request('POST', '/webhooks/testpay', { key: null, body: raw, headers: { 'x-testpay-signature': signature ?? signTestpay(SECRET, raw) } });
  };

  it('takes a payment routed to it, and its signed notification makes it succeeded once', async () => {
    const key = await gw.newKey();
    const created = await gw.request('POST', '/v1/payments', { key, body: { amount: 4200, currency: 'EUR', description: 'third provider' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ provider: 'testpay', status: 'pending', amount: 4200, currency: 'EUR' });
    const providerId = created.body.providerPaymentId as string;
    expect(server.payments.get(providerId)).toMatchObject({ amount: 4200, reference: created.body.id });

    expect((await notify({ event: 'payment.changed', payment_id: providerId }, '0'.repeat(64))).status).toBe(401);
    server.pay(providerId);
    const first = await notify({ event: 'payment.changed', payment_id: providerId });
    expect(first).toMatchObject({ status: 200, body: { received: true, outcome: 'applied' } });
    const again = await notify({ event: 'payment.changed', payment_id: providerId });
    expect(again.body.outcome).toBe('duplicate');
    expect(await notify({ event: 'ping' })).toMatchObject({ status: 200, body: { outcome: 'ignored' } });

    const read = await gw.request('GET', `/v1/payments/${created.body.id}`, { key });
    expect(read.body).toMatchObject({ status: 'succeeded', amount: 4200, providerStatus: 'paid' });
    const events = await gw.db.query(`select type from events where resource_id = $1 order by type`, [created.body.id]);
    expect(events.rows.map((row: { type: string }) => row.type)).toEqual(['payment.created', 'payment.succeeded']);
  });

  it('refuses what it cannot do from the one capability check', async () => {
    const key = await gw.newKey();
    const created = await gw.request('POST', '/v1/payments', { key, body: { amount: 100, currency: 'EUR', description: 'no cancel' } });
    const cancel = await gw.request('DELETE', `/v1/payments/${created.body.id}`, { key });
    expect(cancel.status).toBe(422);
    expect(cancel.body.error).toMatchObject({ type: 'capability_not_supported' });
    expect(cancel.body.error.message).toContain('testpay does not support payments.cancel');
    expect((await gw.request('GET', `/v1/payments/${created.body.id}`, { key })).body.status).toBe('pending');
  });

  it('is listed, probed and counted like the shipped providers', async () => {
    const listed = await gw.request('GET', '/v1/providers');
    expect(listed.body.data.map((p: { name: string }) => p.name)).toEqual(['flexiqash', 'flashpay', 'testpay']);
    const ready = await gw.request('GET', '/health/ready', { key: null });
    expect(JSON.stringify(ready.body)).toContain('testpay');
    const testpay = (ready.body.providers as Array<{ name: string; reachable: boolean }>).find((p) => p.name === 'testpay');
    expect(testpay?.reachable).toBe(true);
    const metrics = await gw.request('GET', '/metrics');
    expect(String(metrics.body)).toMatch(/provider="testpay",operation="createPayment",outcome="ok"/);
  });
});
