import { createHmac } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ProviderError } from '@app/payments';
import { startInProcessGateway, InProcessGateway } from '../support/in-process';
import { countStatements } from '../support/statements';

/**
 * The payment lifecycle's invariants under races, each made deterministic by holding the provider call mid-flight
 * (test/support/provider-gate.ts) and injecting the competing event (the payer paying, a notification) meanwhile.
 */
describe('payment lifecycle under races', () => {
  let gw: InProcessGateway;
  let key: string;

  beforeAll(async () => {
    // No sandbox webhooks: the competing notifications are sent by the tests themselves.
    gw = await startInProcessGateway({ sandbox: { flexiqashWebhookUrl: '' } });
    key = await gw.newKey();
  });
  afterAll(async () => {
    await gw?.close();
  });

  async function createPayment(amount = 1000): Promise<{ id: string; providerPaymentId: string }> {
    const created = await gw.request('POST', '/v1/payments', { key, body: { amount, currency: 'USD', description: 'race' } });
    expect(created.status).toBe(201);
    return created.body;
  }

  /** The payer pays on FlexiQash's checkout page. */
  async function payerPays(guid: string): Promise<void> {
    const paid = await fetch(`${gw.sandboxes.flexiqashUrl}/payment/${guid}/pay`, { method: 'POST' });
    expect(paid.status).toBe(200);
  }

  async function atProvider(guid: string): Promise<{ status: number; amount?: number }> {
    const answer = await fetch(`${gw.sandboxes.flexiqashUrl}/api/payments/${guid}/view`, { headers: { authorization: `Bearer ${(gw.config.providers.flexiqash as unknown as { apiToken: string; webhookSecret: string }).apiToken}` } });
    return answer.status === 200 ? { status: 200, amount: Math.round(((await answer.json()) as { amount: number }).amount * 100) } : { status: answer.status };
  }

  async function row(id: string): Promise<{ status: string; amount: string }> {
    const { rows } = await gw.db.query('SELECT status, amount FROM payments WHERE id = $1', [id]);
    return rows[0];
  }

  async function events(id: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
    const { rows } = await gw.db.query('SELECT type, data FROM events WHERE resource_id = $1 ORDER BY created_at, id', [id]);
    return rows;
  }

  /** FlexiQash's signed notification of a transaction, as its sandbox sends it. */
  async function notify(guid: string, amountMajor: number, status: 'success' | 'failed') {
    const body = JSON.stringify({ paymentReference: guid, transaction: { amount: amountMajor, reference: 'tx-1', status, statusMessage: 'x' } });
    const signature = createHmac('sha256', (gw.config.providers.flexiqash as unknown as { apiToken: string; webhookSecret: string }).webhookSecret).update(body).digest('hex');
    return gw.request('POST', '/webhooks/flexiqash', { key: null, body, headers: { 'x-flexiqash-signature': `sha256=${signature}` } });
  }

  it('a PATCH of the amount that loses to the payer answers 409; the payment is succeeded with the amount paid', async () => {
    const payment = await createPayment(1000);
    const held = gw.gate.hold('flexiqash', 'updatePayment');
    const patch = gw.request('PATCH', `/v1/payments/${payment.id}`, { key, body: { amount: 500 } });
    await held.arrived;
    await payerPays(payment.providerPaymentId);
    // The provider's notification is processed while the PATCH is at the provider.
    expect((await gw.request('POST', `/v1/payments/${payment.id}/refresh`, { key })).body).toMatchObject({ status: 'succeeded', amount: 1000 });
    held.release();
    const answer = await patch;
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('invalid_state');
    expect(await row(payment.id)).toEqual({ status: 'succeeded', amount: '1000' });
    const types = (await events(payment.id)).map((e) => e.type);
    expect(types).toEqual(['payment.created', 'payment.succeeded']);
    expect((await events(payment.id))[1].data).toMatchObject({ amount: 1000, status: 'succeeded' });
  });

  it('a PATCH while the payer pays, with no notification yet: the re-check after the call finds the payment paid', async () => {
    const payment = await createPayment(1000);
    const held = gw.gate.hold('flexiqash', 'updatePayment');
    const patch = gw.request('PATCH', `/v1/payments/${payment.id}`, { key, body: { amount: 500 } });
    await held.arrived;
    await payerPays(payment.providerPaymentId);
    held.release();
    const answer = await patch;
    expect(answer.status).toBe(409);
    expect(await row(payment.id)).toEqual({ status: 'succeeded', amount: '1000' });
    const succeeded = (await events(payment.id)).filter((e) => e.type === 'payment.succeeded');
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0].data.amount).toBe(1000);
    expect((await events(payment.id)).map((e) => e.type)).not.toContain('payment.updated');
  });

  it('a PATCH of a payment already paid (notification not yet in) answers 409 without touching the provider', async () => {
    const payment = await createPayment(1000);
    await payerPays(payment.providerPaymentId);
    const before = gw.gate.count('flexiqash', 'updatePayment');
    const answer = await gw.request('PATCH', `/v1/payments/${payment.id}`, { key, body: { amount: 500 } });
    expect(answer.status).toBe(409);
    expect(gw.gate.count('flexiqash', 'updatePayment')).toBe(before);
    expect(await atProvider(payment.providerPaymentId)).toEqual({ status: 200, amount: 1000 });
    expect(await row(payment.id)).toEqual({ status: 'succeeded', amount: '1000' });
  });

  it('a PATCH whose re-check after the call fails records its amount; the later notification restores the amount paid', async () => {
    const payment = await createPayment(1000);
    const held = gw.gate.hold('flexiqash', 'updatePayment');
    const patch = gw.request('PATCH', `/v1/payments/${payment.id}`, { key, body: { amount: 500 } });
    await held.arrived;
    await payerPays(payment.providerPaymentId);
    const reread = gw.gate.hold('flexiqash', 'getPayment');
    held.release();
    await reread.arrived;
    reread.fail(new ProviderError('flexiqash', 'unreachable', 'connection refused'));
    expect((await patch).body).toMatchObject({ status: 'pending', amount: 500 });
    expect((await notify(payment.providerPaymentId, 10, 'success')).status).toBe(200);
    expect(await row(payment.id)).toEqual({ status: 'succeeded', amount: '1000' });
    const succeeded = (await events(payment.id)).filter((e) => e.type === 'payment.succeeded');
    expect(succeeded.map((e) => e.data.amount)).toEqual([1000]);
  });

  it('six concurrent PATCHes run one at a time: the gateway ends with the amount the provider has', async () => {
    const payment = await createPayment(1000);
    const held = gw.gate.hold('flexiqash', 'updatePayment');
    const amounts = [101, 202, 303, 404, 505, 606];
    const patches = amounts.map((amount) => gw.request('PATCH', `/v1/payments/${payment.id}`, { key, body: { amount } }));
    await held.arrived;
    held.release();
    const answers = await Promise.all(patches);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const provider = await atProvider(payment.providerPaymentId);
    const stored = await row(payment.id);
    expect(Number(stored.amount)).toBe(provider.amount);
    expect(amounts).toContain(provider.amount);
    expect((await events(payment.id)).filter((e) => e.type === 'payment.updated')).toHaveLength(6);
  });

  it('a second PATCH does not reach the provider while the first is there (the lease serializes them)', async () => {
    const payment = await createPayment(1000);
    const first = gw.gate.hold('flexiqash', 'updatePayment');
    const a = gw.request('PATCH', `/v1/payments/${payment.id}`, { key, body: { amount: 111 } });
    await first.arrived;
    const secondReadsProvider = gw.gate.hold('flexiqash', 'getPayment');
    const b = gw.request('PATCH', `/v1/payments/${payment.id}`, { key, body: { amount: 222 } });
    // Without the lease, B's re-read reaches the provider within milliseconds; with it, never while A is held.
    // The timer only bounds how long the test looks for a call that must not happen; it decides no race.
    const seen = await Promise.race([
      secondReadsProvider.arrived.then(() => 'B reached the provider'),
      new Promise((resolve) => setTimeout(() => resolve('B waits'), 500)),
    ]);
    expect(seen).toBe('B waits');
    const { rows } = await gw.db.query('SELECT lease_token IS NOT NULL AS leased FROM payments WHERE id = $1', [payment.id]);
    expect(rows[0].leased).toBe(true);
    first.release();
    // The held read goes to A's re-check after its call or to B's first read, whichever comes first.
    await secondReadsProvider.arrived;
    secondReadsProvider.release();
    expect((await a).status).toBe(200);
    expect((await b).body).toMatchObject({ amount: 222 });
    expect(await atProvider(payment.providerPaymentId)).toEqual({ status: 200, amount: 222 });
  });

  it('a create writes the payment twice: an INSERT that takes its lease, then one statement that confirms it, records payment.created and gives the lease back', async () => {
    const description = `born-leased-${Date.now()}`;
    const statements = countStatements(gw.app.get(DataSource), /\b(INSERT INTO|UPDATE|FROM) payments\b/);
    try {
      const held = gw.gate.hold('flexiqash', 'createPayment');
      const create = gw.request('POST', '/v1/payments', { key, body: { amount: 1000, currency: 'USD', description } });
      await held.arrived;
      // At the provider: the row exists, leased, so nothing else changes it before it is confirmed.
      const { rows: during } = await gw.db.query(`SELECT lease_token IS NOT NULL AND lease_until > now() AS leased, version FROM payments WHERE description = $1`, [description]);
      expect(during).toEqual([{ leased: true, version: 0 }]);
      held.release();
      const created = await create;
      expect(created.status).toBe(201);
      expect(statements).toHaveLength(2);
      expect(statements[0]).toMatch(/^INSERT INTO payments .*lease_token/s);
      expect(statements[1]).toMatch(/UPDATE payments SET .*lease_token = NULL/s);
      const { rows: after } = await gw.db.query('SELECT lease_token, version, provider_payment_id FROM payments WHERE id = $1', [created.body.id]);
      expect(after).toEqual([{ lease_token: null, version: 1, provider_payment_id: created.body.providerPaymentId }]);
      expect((await events(created.body.id)).map((e) => e.type)).toEqual(['payment.created']);
    } finally {
      statements.stop();
    }
  });

  it('a create whose row changed while the provider was creating it confirms under the row lock and still gives the lease back', async () => {
    const description = `changed-meanwhile-${Date.now()}`;
    const held = gw.gate.hold('flexiqash', 'createPayment');
    const create = gw.request('POST', '/v1/payments', { key, body: { amount: 1000, currency: 'USD', description, metadata: { a: '1' } } });
    await held.arrived;
    // A writer that ignores the lease (as an operator's fix would) moves the version: the one-statement confirmation no longer matches.
    await gw.db.query(`UPDATE payments SET version = version + 1, metadata = '{"a":"2"}' WHERE description = $1`, [description]);
    held.release();
    const created = await create;
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ metadata: { a: '2' }, providerPaymentId: expect.any(String) });
    const { rows } = await gw.db.query('SELECT lease_token, version, provider_state_unknown FROM payments WHERE id = $1', [created.body.id]);
    expect(rows).toEqual([{ lease_token: null, version: 2, provider_state_unknown: false }]);
    expect((await events(created.body.id)).map((e) => e.type)).toEqual(['payment.created']);
  });

  it('a cancel of a payment the payer already paid answers 409 and leaves it at the provider', async () => {
    const payment = await createPayment(1000);
    await payerPays(payment.providerPaymentId);
    const before = gw.gate.count('flexiqash', 'cancelPayment');
    const answer = await gw.request('DELETE', `/v1/payments/${payment.id}`, { key });
    expect(answer.status).toBe(409);
    expect(gw.gate.count('flexiqash', 'cancelPayment')).toBe(before);
    expect(await row(payment.id)).toEqual({ status: 'succeeded', amount: '1000' });
    expect((await atProvider(payment.providerPaymentId)).status).toBe(200);
  });

  it('a cancel that loses to a notification of payment answers 409 and the payment stays succeeded', async () => {
    const payment = await createPayment(1000);
    const held = gw.gate.hold('flexiqash', 'cancelPayment');
    const cancel = gw.request('DELETE', `/v1/payments/${payment.id}`, { key });
    await held.arrived;
    await payerPays(payment.providerPaymentId);
    expect((await notify(payment.providerPaymentId, 10, 'success')).status).toBe(200);
    held.release();
    const answer = await cancel;
    expect(answer.status).toBe(409);
    expect(await row(payment.id)).toEqual({ status: 'succeeded', amount: '1000' });
    expect((await events(payment.id)).map((e) => e.type)).toEqual(['payment.created', 'payment.succeeded']);
  });

  it('paid while the cancel was at the provider: the signed notification makes it succeeded, flagged paid after cancellation', async () => {
    const payment = await createPayment(1000);
    const held = gw.gate.hold('flexiqash', 'cancelPayment');
    const cancel = gw.request('DELETE', `/v1/payments/${payment.id}`, { key });
    await held.arrived;
    await payerPays(payment.providerPaymentId);
    held.release();
    expect((await cancel).status).toBe(200);
    // FlexiQash deleted it: the re-read finds nothing, and the verified notification decides.
    expect((await atProvider(payment.providerPaymentId)).status).toBe(404);
    expect((await notify(payment.providerPaymentId, 10, 'success')).body).toEqual({ received: true, outcome: 'applied' });
    expect(await row(payment.id)).toEqual({ status: 'succeeded', amount: '1000' });
    const all = await events(payment.id);
    expect(all.map((e) => e.type)).toEqual(['payment.created', 'payment.cancelled', 'payment.succeeded']);
    expect(all[2].data).toMatchObject({ status: 'succeeded', amount: 1000, paidAfterCancellation: true });
  });

  it('a signed notification of a failed transaction for a deleted payment changes nothing', async () => {
    const payment = await createPayment(1000);
    expect((await gw.request('DELETE', `/v1/payments/${payment.id}`, { key })).status).toBe(200);
    await notify(payment.providerPaymentId, 10, 'failed');
    expect(await row(payment.id)).toEqual({ status: 'cancelled', amount: '1000' });
  });
});
