import { createHmac } from 'node:crypto';
import { startInProcessGateway, startGatewayWithKey, InProcessGateway } from '../support/in-process';
import { reached } from '../support/provider-gate';

const usd = (description: string, extra: Record<string, unknown> = {}) => ({ amount: 4200, currency: 'USD', description, ...extra });

async function payAtCheckout(checkoutUrl: string): Promise<void> {
  expect((await fetch(checkoutUrl.replace(/\/request$/, '/pay'), { method: 'POST' })).status).toBe(200);
}

describe('the outbox: a change, its events and their deliveries commit together or not at all', () => {
  let gw: InProcessGateway;
  let key: string;
  let endpointId: string;
  beforeAll(async () => {
    gw = await startInProcessGateway();
    key = await gw.newKey();
    const endpoint = await gw.request('POST', '/v1/webhook-endpoints', { key, body: { url: 'https://8.8.8.8/hook', events: ['*'] } });
    expect(endpoint.status).toBe(201);
    endpointId = endpoint.body.id;
  });
  afterAll(async () => {
    await gw?.close();
  });

  async function state(paymentId: string) {
    const payment = await gw.db.query(`SELECT status, version, metadata FROM payments WHERE id = $1`, [paymentId]);
    const events = await gw.db.query(`SELECT id, type FROM events WHERE resource_id = $1 ORDER BY created_at, type`, [paymentId]);
    const deliveries = await gw.db.query(
      `SELECT d.endpoint_id FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE e.resource_id = $1`,
      [paymentId],
    );
    return { payment: payment.rows[0], events: events.rows.map((row: { type: string }) => row.type), deliveries: deliveries.rows.length };
  }

  /** Makes every delivery insert for our endpoint fail inside Postgres, as a constraint would, while `work` runs. */
  async function withFailingDeliveries<T>(work: () => Promise<T>): Promise<T> {
    const name = `fail_deliveries_${process.pid}`;
    await gw.db.query(`CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger AS $$
      BEGIN
        IF NEW.endpoint_id = '${endpointId}' THEN RAISE EXCEPTION 'injected delivery failure' USING ERRCODE = '23514'; END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await gw.db.query(`CREATE TRIGGER ${name} BEFORE INSERT ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION ${name}()`);
    try {
      return await work();
    } finally {
      await gw.db.query(`DROP TRIGGER IF EXISTS ${name} ON webhook_deliveries`);
      await gw.db.query(`DROP FUNCTION IF EXISTS ${name}()`);
    }
  }

  it('writes the event and one delivery per subscribed endpoint with the change', async () => {
    const created = await gw.request('POST', '/v1/payments', { key, body: usd('outbox-ok') });
    expect(created.status).toBe(201);
    expect(await state(created.body.id)).toMatchObject({ payment: { status: 'pending', version: 1 }, events: ['payment.created'], deliveries: 1 });
  });

  it('an optimistic change (PATCH) whose delivery cannot be written leaves the row, the events and the deliveries as they were', async () => {
    const created = await gw.request('POST', '/v1/payments', { key, body: usd('outbox-patch', { metadata: { a: '1' } }) });
    const before = await state(created.body.id);
    const failed = await withFailingDeliveries(() => gw.request('PATCH', `/v1/payments/${created.body.id}`, { key, body: { metadata: { a: '2' } } }));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(await state(created.body.id)).toEqual(before);
    // Once deliveries can be written, the same change goes through whole.
    expect((await gw.request('PATCH', `/v1/payments/${created.body.id}`, { key, body: { metadata: { a: '2' } } })).status).toBe(200);
    expect(await state(created.body.id)).toEqual({
      payment: { status: 'pending', version: 2, metadata: { a: '2' } },
      events: ['payment.created', 'payment.updated'],
      deliveries: 2,
    });
  });

  it('a locked change (a provider status learnt by refresh) whose delivery cannot be written leaves no half-written state', async () => {
    const created = await gw.request('POST', '/v1/payments', { key, body: usd('outbox-refresh') });
    await payAtCheckout(created.body.checkoutUrl);
    const before = await state(created.body.id);
    const failed = await withFailingDeliveries(() => gw.request('POST', `/v1/payments/${created.body.id}/refresh`, { key }));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(await state(created.body.id)).toEqual(before);
    const refreshed = await gw.request('POST', `/v1/payments/${created.body.id}/refresh`, { key });
    expect(refreshed.body.status).toBe('succeeded');
    expect(await state(created.body.id)).toMatchObject({ payment: { status: 'succeeded', version: 2 }, events: ['payment.created', 'payment.succeeded'], deliveries: 2 });
  });

  it('a create whose payment.created cannot be recorded leaves no confirmed payment and no event', async () => {
    const failed = await withFailingDeliveries(() => gw.request('POST', '/v1/payments', { key, body: usd('outbox-create') }));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const { rows } = await gw.db.query(`SELECT id, provider_payment_id, provider_state_unknown FROM payments WHERE description = 'outbox-create'`);
    // The row written before the provider call stays for reconciliation, but is never confirmed without its event.
    expect(rows).toHaveLength(1);
    for (const row of rows) {
      expect(row).toMatchObject({ provider_payment_id: null, provider_state_unknown: true });
      expect((await state(row.id)).events).toEqual([]);
    }
  });
});

describe('inbound provider notifications replayed concurrently', () => {
  let gw: InProcessGateway;
  let key: string;
  beforeAll(async () => ({ gw, key } = await startGatewayWithKey()));
  afterAll(() => gw?.close());

  const sign = (body: string) => `sha256=${createHmac('sha256', (gw.config.providers.flexiqash as unknown as { apiToken: string; webhookSecret: string }).webhookSecret).update(body).digest('hex')}`;

  // Every copy is past the "seen before?" check and held at the provider's re-read at the same time, so only the
  // change path can keep it to one event; a sequential replay is the easier case of the same promise.
  it('the same signed FlexiQash notification, five times at once, applies once and emits one payment.succeeded', async () => {
    const created = await gw.request('POST', '/v1/payments', { key, body: usd('inbound-race') });
    await payAtCheckout(created.body.checkoutUrl);
    const body = JSON.stringify({
      paymentReference: created.body.providerPaymentId,
      transaction: { amount: 42, reference: 'race', status: 'success', statusMessage: 'Payment Accepted' },
    });
    const copies = 5;
    const holds = Array.from({ length: copies }, () => gw.gate.hold('flexiqash', 'getPayment'));
    const answers = Array.from({ length: copies }, () =>
      gw.request('POST', '/webhooks/flexiqash', { key: null, body, headers: { 'x-flexiqash-signature': sign(body) } }),
    );
    const all = Promise.all(answers);
    await Promise.all(holds.map((held) => reached(held, all)));
    for (const held of holds) held.release();
    const settled = await all;
    expect(settled.map((answer) => answer.status)).toEqual(Array(copies).fill(200));

    const { rows } = await gw.db.query(`SELECT type FROM events WHERE resource_id = $1 ORDER BY created_at, type`, [created.body.id]);
    expect(rows.map((row: { type: string }) => row.type)).toEqual(['payment.created', 'payment.succeeded']);
    expect((await gw.request('GET', `/v1/payments/${created.body.id}`, { key })).body.status).toBe('succeeded');
    const seen = await gw.db.query(`SELECT count(*)::int AS n FROM inbound_webhooks WHERE payment_id = $1`, [created.body.id]);
    expect(seen.rows[0].n).toBe(1);

    // A later replay is recognised as seen and changes nothing.
    const again = await gw.request('POST', '/webhooks/flexiqash', { key: null, body, headers: { 'x-flexiqash-signature': sign(body) } });
    expect(again.body).toEqual({ received: true, outcome: 'duplicate' });
  });

  it('a missing or wrong signature, or a tampered body, answers 401 and changes nothing', async () => {
    // The payment really is paid at FlexiQash, so an accepted notification would change it: a refusal must not.
    const created = await gw.request('POST', '/v1/payments', { key, body: usd('inbound-bad') });
    await payAtCheckout(created.body.checkoutUrl);
    const body = JSON.stringify({
      paymentReference: created.body.providerPaymentId,
      transaction: { amount: 25, reference: 'x', status: 'success', statusMessage: 'Payment Accepted' },
    });
    const tampered = body.replace('"amount":25', '"amount":26');
    const otherSecret = `sha256=${createHmac('sha256', 'another-secret').update(body).digest('hex')}`;
    const calls = gw.gate.calls.length;
    for (const [headers, text] of [
      [{}, body],
      [{ 'x-flexiqash-signature': 'sha256=' + '0'.repeat(64) }, body],
      [{ 'x-flexiqash-signature': otherSecret }, body],
      [{ 'x-flexiqash-signature': sign(body) }, tampered],
      [{ 'x-flexiqash-signature': sign(`${body} `) }, body],
      [{ 'x-flexiqash-signature': 'md5=abc' }, body],
    ] as Array<[Record<string, string>, string]>) {
      const refused = await gw.request('POST', '/webhooks/flexiqash', { key: null, body: text, headers });
      expect(refused.status).toBe(401);
      expect(refused.body.error.type).toBe('authentication');
    }
    expect(gw.gate.calls.slice(calls)).toEqual([]);
    expect((await gw.db.query(`SELECT status FROM payments WHERE id = $1`, [created.body.id])).rows[0].status).toBe('pending');
    const { rows } = await gw.db.query(`SELECT type FROM events WHERE resource_id = $1`, [created.body.id]);
    expect(rows.map((row: { type: string }) => row.type)).toEqual(['payment.created']);
  });
});
