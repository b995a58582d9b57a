import { ProviderError } from '@app/payments';
import { PaymentRepository } from '@app/persistence';
import { ProviderRegistry } from '@app/providers';
import { requestFingerprint } from '../../apps/gateway/src/http/idempotency';
import { startInProcessGateway, InProcessGateway } from '../support/in-process';

/**
 * Idempotency-Keys and text Postgres cannot store: a key is never given back once a resource exists under it,
 * a key whose instance died is taken over after its lease and answered with what that instance created, and
 * unstorable text is refused before anything is claimed, written or sent.
 */
describe('lifecycle: Idempotency-Keys and unstorable text', () => {
  let gw: InProcessGateway;
  const body = (description: string) => ({ amount: 1000, currency: 'USD', description });

  beforeAll(async () => {
    gw = await startInProcessGateway({ sandbox: { flexiqashWebhookUrl: '' }, env: { IDEMPOTENCY_LEASE_MS: '1000' } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  async function paymentsDescribed(description: string): Promise<Array<{ id: string; provider_payment_id: string | null }>> {
    const { rows } = await gw.db.query('SELECT id, provider_payment_id FROM payments WHERE description = $1', [description]);
    return rows;
  }

  /** What an instance killed mid-create leaves: the row, linked to the key, and a lease nobody renews. */
  async function deadInstanceState(key: string, description: string): Promise<string> {
    const id = `pay_${'0'.repeat(10)}${Math.random().toString(36).slice(2, 18).padEnd(16, '0')}`.replace(/[ilou]/g, '0');
    const now = new Date();
    await gw.get<PaymentRepository>(PaymentRepository).insert({
      id, ownerId: 'admin', provider: 'flexiqash', providerPaymentId: null, amount: 1000, currency: 'USD', description,
      reference: null, status: 'pending', providerStatus: null, archived: false, checkoutUrl: null, payer: null, payee: null,
      metadata: {}, providerStateUnknown: true, expiresAt: null, version: 0, lastCheckedAt: null, createdAt: now, updatedAt: now,
    });
    await gw.db.query(
      `INSERT INTO idempotency_keys (owner_id, key, fingerprint, state, created_at, lease_token, lease_until, resource_id)
       VALUES ('admin', $1, $2, 'running', now(), 'dead-instance', now() - interval '1 second', $3)`,
      [key, requestFingerprint('POST', '/v1/payments', body(description)), id],
    );
    return id;
  }

  it('a create whose outcome is unknown keeps its key: the retry names the same payment and creates no second one', async () => {
    const key = `unknown-${Date.now()}`;
    const held = gw.gate.hold('flexiqash', 'createPayment');
    const first = gw.request('POST', '/v1/payments', { body: body(key), headers: { 'idempotency-key': key } });
    await held.arrived;
    held.fail(new ProviderError('flexiqash', 'timeout', 'timed out'));
    const answer = await first;
    expect(answer.status).toBe(504);
    const [payment] = await paymentsDescribed(key);
    expect(answer.body.error.details).toMatchObject({ paymentId: payment.id });
    const calls = gw.gate.count('flexiqash', 'createPayment');
    const retry = await gw.request('POST', '/v1/payments', { body: body(key), headers: { 'idempotency-key': key } });
    expect(retry.status).toBe(504);
    expect(retry.body.error.details).toMatchObject({ paymentId: payment.id });
    expect(gw.gate.count('flexiqash', 'createPayment')).toBe(calls);
    expect(await paymentsDescribed(key)).toHaveLength(1);
  });

  it('a failure to record a payment the provider made answers 500 naming it, keeps the key, and the retry answers with the payment', async () => {
    const key = `confirm-fails-${Date.now()}`;
    // Postgres refuses the confirmation of this one payment, as an outage right after the provider call would.
    await gw.db.query(`CREATE OR REPLACE FUNCTION refuse_confirmation() RETURNS trigger AS $$
      BEGIN IF NEW.provider_payment_id IS NOT NULL AND NEW.description = '${key}' THEN RAISE EXCEPTION 'database went away'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await gw.db.query('CREATE TRIGGER refuse_confirmation BEFORE UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION refuse_confirmation()');
    let answer;
    try {
      answer = await gw.request('POST', '/v1/payments', { body: body(key), headers: { 'idempotency-key': key } });
    } finally {
      await gw.db.query('DROP TRIGGER refuse_confirmation ON payments');
    }
    const [payment] = await paymentsDescribed(key);
    expect(answer.status).toBe(500);
    expect(answer.body.error).toMatchObject({ code: 'confirmation_pending', details: { paymentId: payment.id } });
    const calls = gw.gate.count('flexiqash', 'createPayment');
    const retry = await gw.request('POST', '/v1/payments', { body: body(key), headers: { 'idempotency-key': key } });
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ id: payment.id, providerPaymentId: expect.any(String) });
    expect(gw.gate.count('flexiqash', 'createPayment')).toBe(calls);
    expect(await paymentsDescribed(key)).toHaveLength(1);
  });

  it('a key whose instance died after the provider created the payment is taken over and answered with that payment', async () => {
    const key = `takeover-${Date.now()}`;
    const id = await deadInstanceState(key, key);
    // The dead instance's call had reached the provider: the payment exists there with our id as its reference.
    const made = await gw.get<ProviderRegistry>(ProviderRegistry).get('flexiqash').createPayment({
      gatewayPaymentId: id, amount: 1000, currency: 'USD', description: key, reference: null, payer: null, payee: null, metadata: {},
    });
    const calls = gw.gate.count('flexiqash', 'createPayment');
    const retry = await gw.request('POST', '/v1/payments', { body: body(key), headers: { 'idempotency-key': key } });
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ id, providerPaymentId: made.providerPaymentId, status: 'pending' });
    expect(gw.gate.count('flexiqash', 'createPayment')).toBe(calls);
    const again = await gw.request('POST', '/v1/payments', { body: body(key), headers: { 'idempotency-key': key } });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(id);
  });

  it('a key whose instance died before the provider answered, with nothing there, answers the unknown outcome naming the payment', async () => {
    const key = `takeover-none-${Date.now()}`;
    const id = await deadInstanceState(key, key);
    const calls = gw.gate.count('flexiqash', 'createPayment');
    const retry = await gw.request('POST', '/v1/payments', { body: body(key), headers: { 'idempotency-key': key } });
    expect(retry.status).toBe(504);
    expect(retry.body.error).toMatchObject({ code: 'provider_outcome_unknown', details: { paymentId: id } });
    expect(gw.gate.count('flexiqash', 'createPayment')).toBe(calls);
  });

  it('a key still within its lease answers 409 in progress while its holder renews the lease', async () => {
    const key = `live-${Date.now()}`;
    const held = gw.gate.hold('flexiqash', 'createPayment');
    const first = gw.request('POST', '/v1/payments', { body: body(key), headers: { 'idempotency-key': key } });
    await held.arrived;
    const second = await gw.request('POST', '/v1/payments', { body: body(key), headers: { 'idempotency-key': key } });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('idempotency_in_progress');
    // The holder renews its lease while it runs.
    const { rows } = await gw.db.query(`SELECT lease_until > now() AS live FROM idempotency_keys WHERE key = $1`, [key]);
    expect(rows[0].live).toBe(true);
    held.release();
    expect((await first).status).toBe(201);
  });

  it.each([
    ['a lone high surrogate', '"x\\ud800"'],
    ['a lone low surrogate', '"\\udc00x"'],
    ['NUL', '"x\\u0000"'],
  ])('%s in a create is refused with 422 before a key is claimed, a row written or the provider called', async (_name, text) => {
    const key = `text-${Date.now()}-${Math.random()}`;
    const calls = gw.gate.count('flexiqash', 'createPayment');
    const raw = `{"amount":1000,"currency":"USD","description":${text}}`;
    const answer = await gw.request('POST', '/v1/payments', { body: raw, headers: { 'idempotency-key': key } });
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request', code: 'unstorable_text' });
    expect(answer.body.error.details[0].field).toBe('description');
    expect(gw.gate.count('flexiqash', 'createPayment')).toBe(calls);
    expect((await gw.db.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [key])).rowCount).toBe(0);
  });

  it('a PATCH with a lone surrogate is refused with 422 and changes nothing at the provider or the gateway', async () => {
    const created = await gw.request('POST', '/v1/payments', { body: body('patch-text') });
    const calls = gw.gate.count('flexiqash', 'updatePayment');
    const answer = await gw.request('PATCH', `/v1/payments/${created.body.id}`, { body: '{"description":"half \\ud83d","amount":500}' });
    expect(answer.status).toBe(422);
    expect(gw.gate.count('flexiqash', 'updatePayment')).toBe(calls);
    expect((await gw.request('GET', `/v1/payments/${created.body.id}`)).body).toMatchObject({ amount: 1000, description: 'patch-text' });
    // A whole emoji is text like any other.
    expect((await gw.request('PATCH', `/v1/payments/${created.body.id}`, { body: { description: 'whole 😀' } })).status).toBe(200);
  });
});
