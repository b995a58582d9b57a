import { createHmac } from 'node:crypto';
import { providerSettings } from '@app/common';
import type { FlexiqashSettings } from '@app/providers';
import { REDIS } from '../../apps/gateway/src/health/redis.provider';
import { startInProcessGateway, InProcessGateway } from '../support/in-process';

/**
 * The one inbound route, /webhooks/:provider, over the real module graph. Flashpay's notifications are unsigned, so
 * they are limited per source address and the provider reads they cause are coalesced per payment; FlexiQash's are
 * signed and keep their behaviour.
 */
describe('inbound provider webhooks', () => {
  let gw: InProcessGateway;
  const LIMIT = 4;
  const INTERVAL_MS = 1500;
  beforeAll(async () => {
    gw = await startInProcessGateway({
      env: { INBOUND_WEBHOOK_LIMIT_PER_SECOND: String(LIMIT), INBOUND_WEBHOOK_READ_INTERVAL_MS: String(INTERVAL_MS) },
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  /** A notification from a given source address (Fastify's inject sets the socket's remote address). */
  const notify = async (provider: string, body: unknown, source = '127.0.0.1', headers: Record<string, string> = {}) => {
    const answer = await gw.app.inject({
      method: 'POST',
      url: `/webhooks/${provider}`,
      remoteAddress: source,
      headers: { 'content-type': 'application/json', ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: answer.statusCode, body: answer.json(), headers: answer.headers };
  };

  it('answers an unknown id without a provider call or a row, and prunes old unknown-id rows', async () => {
    await gw.db.query(
      `insert into inbound_webhooks (provider, dedupe_key, payment_id, outcome, received_at) values
        ('flashpay', 'old-unknown', null, 'unknown_payment', now() - interval '2 days'),
        ('flashpay', 'recent-unknown', null, 'unknown_payment', now() - interval '1 hour'),
        ('flexiqash', 'old-signed-unknown', null, 'unknown_payment', now() - interval '2 days')`,
    );
    const answer = await notify('flashpay', { id: 'fp_never_made', status: 'PAID' }, '10.0.0.1');
    expect(answer).toMatchObject({ status: 200, body: { received: true, outcome: 'unknown_payment' } });
    expect(gw.gate.count('flashpay', 'getPayment')).toBe(0);
    const keys = (
      await gw.db.query(`select provider, dedupe_key from inbound_webhooks where dedupe_key = any($1) order by dedupe_key`, [['old-unknown', 'recent-unknown', 'old-signed-unknown']])
    ).rows;
    // The old Flashpay row is gone, the recent one stays; FlexiQash's (signed, so bounded) rows are not touched.
    expect(keys).toEqual([
      { provider: 'flexiqash', dedupe_key: 'old-signed-unknown' },
      { provider: 'flashpay', dedupe_key: 'recent-unknown' },
    ]);
  });

  it('limits unsigned notifications per source address, with the contract error and Retry-After', async () => {
    const answers = [];
    // 2 × LIMIT + 1 in a row: however the one-second windows fall, one window holds more than LIMIT of them.
    for (let n = 0; n < 2 * LIMIT + 1; n += 1) answers.push(await notify('flashpay', { id: `fp_unknown_${n}` }, '10.0.0.2'));
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0].body.error).toMatchObject({ type: 'rate_limited', code: 'rate_limited' });
    expect(refused[0].headers['retry-after']).toBe('1');
    expect(answers.every((answer) => answer.status === 200 || answer.status === 429)).toBe(true);
    // Another address has its own allowance.
    expect((await notify('flashpay', { id: 'fp_unknown_other' }, '10.0.0.3')).status).toBe(200);
    expect(gw.gate.count('flashpay', 'getPayment')).toBe(0);
  });

  it('coalesces the provider reads per payment: single-flight, then one trailing read after the interval', async () => {
    const key = await gw.newKey();
    const created = await gw.request('POST', '/v1/payments', { key, body: { amount: 50000, currency: 'NGN', description: 'coalesce', provider: 'flashpay' } });
    expect(created.status).toBe(201);
    const providerId = created.body.providerPaymentId as string;
    const before = gw.gate.count('flashpay', 'getPayment');

    const held = gw.gate.hold('flashpay', 'getPayment');
    const started = Date.now();
    const first = notify('flashpay', { id: providerId, n: 0 }, '10.0.1.1');
    await held.arrived;
    // Four more, each from its own address (not the per-source limit) and each a different body (not a duplicate).
    const rest = [1, 2, 3, 4].map((n) => notify('flashpay', { id: providerId, n }, `10.0.1.${n + 1}`));
    held.release();
    const answers = await Promise.all([first, ...rest]);
    expect(answers.map((answer) => answer.body.outcome)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
    // The held read and one trailing read for the four that came while it was in flight.
    expect(gw.gate.count('flashpay', 'getPayment') - before).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(INTERVAL_MS);
    const rows = (await gw.db.query(`select outcome from inbound_webhooks where provider = 'flashpay' and payment_id = $1`, [created.body.id])).rows;
    expect(rows.filter((row) => row.outcome === 'applied')).toHaveLength(5);
  });

  it('waits out a read another instance made of the same payment less than an interval ago (shared slot in Redis)', async () => {
    const key = await gw.newKey();
    const created = await gw.request('POST', '/v1/payments', { key, body: { amount: 7000, currency: 'NGN', description: 'slot', provider: 'flashpay' } });
    const before = gw.gate.count('flashpay', 'getPayment');
    // What another instance leaves when it has just read this payment.
    const redis = gw.get<import('ioredis').Redis>(REDIS);
    await redis.set(`{${gw.config.queuePrefix}}:inbound-read:flashpay:${created.body.id}`, '1', 'PX', INTERVAL_MS);
    const started = Date.now();
    const answer = await notify('flashpay', { id: created.body.providerPaymentId, n: 'slot' }, '10.0.4.1');
    expect(answer.body.outcome).toBe('applied');
    expect(gw.gate.count('flashpay', 'getPayment') - before).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(INTERVAL_MS - 50);
  });

  it('keeps the signed FlexiQash route as it was: 401 for a bad signature however many, never limited', async () => {
    const body = JSON.stringify({ paymentReference: '00000000-0000-0000-0000-000000000000' });
    for (let n = 0; n < 2 * LIMIT + 1; n += 1) {
      const answer = await notify('flexiqash', body, '10.0.2.1', { 'x-flexiqash-signature': 'sha256=' + '0'.repeat(64) });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatchObject({ type: 'authentication', code: 'invalid_signature' });
    }
    const signature = 'sha256=' + createHmac('sha256', providerSettings<FlexiqashSettings>(gw.config, 'flexiqash').webhookSecret).update(body).digest('hex');
    const known = await notify('flexiqash', body, '10.0.2.1', { 'x-flexiqash-signature': signature });
    expect(known).toMatchObject({ status: 200, body: { outcome: 'unknown_payment' } });
  });

  it('answers an unknown provider like an unknown route, and a body without an id with 422', async () => {
    expect(await notify('paypal', { id: 'x' })).toMatchObject({ status: 404, body: { error: { type: 'not_found', code: 'route_not_found' } } });
    const bad = await notify('flashpay', { status: 'PAID' }, '10.0.3.1');
    expect(bad).toMatchObject({ status: 422, body: { error: { code: 'invalid_webhook' } } });
    expect(bad.body.error.details).toEqual([{ field: 'id', message: 'must be a non-empty string' }]);
  });
});
