import { ProviderError } from '@app/payments';
import { startInProcessGateway, startGatewayWithKey, InProcessGateway } from '../support/in-process';
import { reached } from '../support/provider-gate';
import { sandboxCalls, setFaults, clearFaults } from '../support/sandbox';
import { expectError } from '../support/expect-error';

const usd = (description: string, extra: Record<string, unknown> = {}) => ({ amount: 2500, currency: 'USD', description, ...extra });

async function eventTypes(gw: InProcessGateway, resourceId: string): Promise<string[]> {
  const { rows } = await gw.db.query(`SELECT type FROM events WHERE resource_id = $1 ORDER BY created_at, type`, [resourceId]);
  return rows.map((row: { type: string }) => row.type);
}

/** The payer pays on the FlexiQash sandbox's checkout page. */
async function payAtCheckout(checkoutUrl: string): Promise<void> {
  const paid = await fetch(checkoutUrl.replace(/\/request$/, '/pay'), { method: 'POST' });
  expect(paid.status).toBe(200);
}

describe('payments through the real module graph', () => {
  let gw: InProcessGateway;
  let key: string;
  beforeAll(async () => ({ gw, key } = await startGatewayWithKey()));
  afterAll(() => gw?.close());

  it('creates, reads, lists, updates, archives, unarchives and cancels; each change commits its event', async () => {
    const created = await gw.request('POST', '/v1/payments', { key, body: usd('lifecycle', { reference: 'life-1', metadata: { order: '7' } }) });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body).toMatchObject({ object: 'payment', provider: 'flexiqash', amount: 2500, currency: 'USD', status: 'pending', archived: false, reference: 'life-1', metadata: { order: '7' } });
    expect(created.body.providerPaymentId).toEqual(expect.any(String));
    expect(created.body.createdAt).toMatch(/Z$/);

    expect((await gw.request('GET', `/v1/payments/${id}`, { key })).body).toEqual(created.body);
    const listed = await gw.request('GET', '/v1/payments?reference=life-1', { key });
    expect(listed.body.data.map((p: { id: string }) => p.id)).toEqual([id]);

    const updated = await gw.request('PATCH', `/v1/payments/${id}`, { key, body: { description: 'lifecycle 2', amount: 2600 } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ description: 'lifecycle 2', amount: 2600 });
    expect(gw.gate.count('flexiqash', 'updatePayment')).toBe(1);
    const metadataOnly = await gw.request('PATCH', `/v1/payments/${id}`, { key, body: { metadata: { order: '8' } } });
    expect(metadataOnly.body.metadata).toEqual({ order: '8' });
    expect(gw.gate.count('flexiqash', 'updatePayment')).toBe(1); // metadata is the gateway's own

    expect((await gw.request('POST', `/v1/payments/${id}/archive`, { key })).body.archived).toBe(true);
    expect((await gw.request('GET', '/v1/payments?archived=true&reference=life-1', { key })).body.data).toHaveLength(1);
    expect((await gw.request('GET', '/v1/payments?archived=false&reference=life-1', { key })).body.data).toHaveLength(0);
    expect((await gw.request('POST', `/v1/payments/${id}/unarchive`, { key })).body.archived).toBe(false);

    const cancelled = await gw.request('DELETE', `/v1/payments/${id}`, { key });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await gw.request('GET', `/v1/payments/${id}`, { key })).body.status).toBe('cancelled');
    expectError(await gw.request('PATCH', `/v1/payments/${id}`, { key, body: { description: 'too late' } }), 409, 'conflict', 'invalid_state');

    expect(await eventTypes(gw, id)).toEqual([
      'payment.created',
      'payment.updated',
      'payment.updated',
      'payment.archived',
      'payment.unarchived',
      'payment.cancelled',
    ]);
    const { rows } = await gw.db.query(`SELECT version FROM payments WHERE id = $1`, [id]);
    expect(rows[0].version).toBe(6);
  });

  it('pages a list with a cursor, newest first, without gaps or repeats', async () => {
    const pager = await gw.newKey();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await gw.request('POST', '/v1/payments', { key: pager, body: usd(`page-${i}`) })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ id: string }>; nextCursor: string | null } } = await gw.request('GET', `/v1/payments?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { key: pager });
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((p) => p.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('writes nothing on bad input: no payment, no provider call, no event, no delivery, no idempotency key, no endpoint', async () => {
    const careful = await gw.newKey();
    const endpoint = await gw.request('POST', '/v1/webhook-endpoints', { key: careful, body: { url: 'https://8.8.8.8/all', events: ['*'] } });
    expect(endpoint.status).toBe(201);
    const counts = async () => {
      const { rows } = await gw.db.query(
        `SELECT (SELECT count(*)::int FROM payments WHERE owner_id = k.id) AS payments,
                (SELECT count(*)::int FROM events WHERE owner_id = k.id) AS events,
                (SELECT count(*)::int FROM webhook_deliveries) AS deliveries,
                (SELECT count(*)::int FROM idempotency_keys WHERE owner_id = k.id) AS keys,
                (SELECT count(*)::int FROM webhook_endpoints WHERE owner_id = k.id) AS endpoints
           FROM api_keys k WHERE k.key_hash = encode(sha256($1::bytea), 'hex')`,
        [careful],
      );
      return rows[0];
    };
    const before = await counts();
    const calls = gw.gate.calls.length;
    const bad: Array<[unknown, Record<string, string>?]> = [
      [{ amount: 12.5, currency: 'USD', description: 'float' }],
      [{ amount: -5, currency: 'USD', description: 'negative' }],
      [{ amount: 0, currency: 'USD', description: 'zero' }],
      [{ amount: 100, currency: 'XXXX', description: 'bad currency' }],
      [{ amount: 100, currency: 'USD' }],
      [{ amount: 100, currency: 'USD', description: 'nul \u0000 inside' }],
      [{ amount: 100, currency: 'USD', description: 'meta', metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) }],
      [{ amount: 100, currency: 'USD', description: 'meta', metadata: { nested: { no: 'pe' } } }],
      [{ amount: 100, currency: 'USD', description: 'unknown provider', provider: 'nope' }],
      [{ amount: 100, currency: 'NGN', description: 'currency the provider does not take', provider: 'flexiqash' }],
      [{ amount: '100', currency: 'USD', description: 'amount as text' }],
      ['{"amount": 100, "currency": "USD", "description": "trunc'],
      ['amount=100', { 'content-type': 'text/plain' }],
      [[1, 2, 3]],
    ];
    for (const [index, [body, headers]] of bad.entries()) {
      const answer = await gw.request('POST', '/v1/payments', { key: careful, body, headers: { 'idempotency-key': `bad-${index}`, ...headers } });
      expect({ index, status: answer.status }).toEqual({ index, status: expect.any(Number) });
      expect([400, 415, 422]).toContain(answer.status);
      expect(['invalid_request', 'capability_not_supported']).toContain(answer.body.error.type);
    }
    const badEndpoint = await gw.request('POST', '/v1/webhook-endpoints', { key: careful, body: { url: 'not a url', events: ['payment.nonsense'] } });
    expect([400, 422]).toContain(badEndpoint.status);
    expect(gw.gate.calls.slice(calls)).toEqual([]);
    expect(await counts()).toEqual(before);
  });

  it('a PATCH with bad input changes nothing: no provider call, no new version, no event', async () => {
    const created = await gw.request('POST', '/v1/payments', { key, body: usd('patch-bad') });
    const calls = gw.gate.calls.length;
    for (const body of [{ amount: 'ten' }, { amount: -1 }, {}, { metadata: { a: 1 } }, { description: '' }]) {
      const answer = await gw.request('PATCH', `/v1/payments/${created.body.id}`, { key, body });
      expect([400, 422]).toContain(answer.status);
    }
    expect(gw.gate.calls.slice(calls)).toEqual([]);
    const { rows } = await gw.db.query(`SELECT version, amount, description FROM payments WHERE id = $1`, [created.body.id]);
    expect(rows[0]).toEqual({ version: 1, amount: '2500', description: 'patch-bad' });
    expect(await eventTypes(gw, created.body.id)).toEqual(['payment.created']);
  });

  it('maps a provider that refuses the create (4xx) to 502 and keeps no row', async () => {
    const held = gw.gate.hold('flexiqash', 'createPayment');
    const answer = gw.request('POST', '/v1/payments', { key, body: usd('rejected') });
    await reached(held, answer);
    held.fail(new ProviderError('flexiqash', 'rejected', 'bad request', 400));
    expectError(await answer, 502, 'provider_error', 'provider_rejected_request');
    const { rows } = await gw.db.query(`SELECT id FROM payments WHERE description = 'rejected'`);
    expect(rows).toEqual([]);
  });

  // Supersedes the sleep-timed race in test/payments.e2e-spec.ts ("keeps a payment that succeeded while its cancel
  // was at the provider succeeded, with no cancelled event"): the cancel is held at the provider's door while the
  // payer pays and the gateway learns it, then let through.
  it('a payment paid while its cancel is at the provider stays succeeded, with no cancelled event', async () => {
    const created = await gw.request('POST', '/v1/payments', { key, body: usd('paid-during-cancel') });
    const id = created.body.id;
    const held = gw.gate.hold('flexiqash', 'cancelPayment');
    const cancelling = gw.request('DELETE', `/v1/payments/${id}`, { key });
    await reached(held, cancelling);
    await payAtCheckout(created.body.checkoutUrl);
    const refreshed = await gw.request('POST', `/v1/payments/${id}/refresh`, { key });
    expect(refreshed.body.status).toBe('succeeded');
    held.release();
    // The cancel lost the race: 409, and the payment stays what the payer made it.
    expectError(await cancelling, 409, 'conflict');
    expect((await gw.request('GET', `/v1/payments/${id}`, { key })).body.status).toBe('succeeded');
    expect(await eventTypes(gw, id)).toEqual(['payment.created', 'payment.succeeded']);
  });

  // CONTRACT (Races): "a PATCH or cancel that loses a race with the payer's payment answers 409 and changes nothing".
  it('a cancel that loses the race with the payer answers 409', async () => {
    const created = await gw.request('POST', '/v1/payments', { key, body: usd('cancel-loses') });
    const held = gw.gate.hold('flexiqash', 'cancelPayment');
    const cancelling = gw.request('DELETE', `/v1/payments/${created.body.id}`, { key });
    await reached(held, cancelling);
    await payAtCheckout(created.body.checkoutUrl);
    await gw.request('POST', `/v1/payments/${created.body.id}/refresh`, { key });
    held.release();
    expectError(await cancelling, 409, 'conflict');
  });

  // Same contract line, for PATCH.
  it('a PATCH that loses the race with the payer changes nothing and answers 409', async () => {
    const created = await gw.request('POST', '/v1/payments', { key, body: usd('patch-loses') });
    const id = created.body.id;
    const held = gw.gate.hold('flexiqash', 'updatePayment');
    const patching = gw.request('PATCH', `/v1/payments/${id}`, { key, body: { description: 'changed after payment' } });
    await reached(held, patching);
    await payAtCheckout(created.body.checkoutUrl);
    expect((await gw.request('POST', `/v1/payments/${id}/refresh`, { key })).body.status).toBe('succeeded');
    held.release();
    const answer = await patching;
    const stored = (await gw.request('GET', `/v1/payments/${id}`, { key })).body;
    const events = await eventTypes(gw, id);
    expect({ status: answer.status, description: stored.description, events }).toEqual({
      status: 409,
      description: 'patch-loses',
      events: ['payment.created', 'payment.succeeded'],
    });
  });

  it('a change committed while a PATCH is at the provider is kept: the PATCH applies on top of it', async () => {
    const created = await gw.request('POST', '/v1/payments', { key, body: usd('version-guard', { metadata: { a: '1' } }) });
    const id = created.body.id;
    const held = gw.gate.hold('flexiqash', 'updatePayment');
    const patching = gw.request('PATCH', `/v1/payments/${id}`, { key, body: { amount: 3000 } });
    await reached(held, patching);
    // A concurrent change of a field the PATCH does not touch bumps the version under the PATCH.
    await gw.db.query(`UPDATE payments SET metadata = '{"a":"2"}', version = version + 1 WHERE id = $1`, [id]);
    held.release();
    expect((await patching).status).toBe(200);
    const { rows } = await gw.db.query(`SELECT amount, metadata FROM payments WHERE id = $1`, [id]);
    expect(rows[0]).toEqual({ amount: '3000', metadata: { a: '2' } });
    expect(await eventTypes(gw, id)).toEqual(['payment.created', 'payment.updated']);
  });
});

describe('failover only when the first provider certainly did nothing', () => {
  let gw: InProcessGateway;
  beforeAll(async () => {
    gw = await startInProcessGateway({
      env: { PAYMENTS_FAILOVER: 'flexiqash=flashpay', FLASHPAY_CURRENCIES: 'NGN,USD', PROVIDER_CIRCUIT_THRESHOLD: '2', PROVIDER_CIRCUIT_OPEN_MS: '3600000' },
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  async function createFailing(description: string, kind: 'unreachable' | 'server' | 'timeout', extra: Record<string, unknown> = {}) {
    const held = gw.gate.hold('flexiqash', 'createPayment');
    const answer = gw.request('POST', '/v1/payments', { body: usd(description, extra) });
    await reached(held, answer);
    held.fail(new ProviderError('flexiqash', kind, `injected ${kind}`, kind === 'server' ? 500 : null));
    return answer;
  }

  it('fails over to the configured provider when the first was unreachable', async () => {
    const flashpayBefore = gw.gate.count('flashpay', 'createPayment');
    const moved = await createFailing('failover', 'unreachable');
    expect(moved.status).toBe(201);
    expect(moved.body.provider).toBe('flashpay');
    expect(gw.gate.count('flashpay', 'createPayment')).toBe(flashpayBefore + 1);
    const { rows } = await gw.db.query(`SELECT provider FROM payments WHERE description = 'failover'`);
    expect(rows).toEqual([{ provider: 'flashpay' }]);
  });

  it('does not fail over a payment whose provider the caller named', async () => {
    const flashpayBefore = gw.gate.count('flashpay', 'createPayment');
    expectError(await createFailing('named', 'unreachable', { provider: 'flexiqash' }), 503, 'provider_unavailable');
    expect(gw.gate.count('flashpay', 'createPayment')).toBe(flashpayBefore);
  });

  it.each([
    ['server', 502, 'provider_error'],
    ['timeout', 504, 'provider_timeout'],
  ] as const)('refuses to fail over after a %s (the provider may have created it): %i, the payment kept pending and named', async (kind, status, type) => {
    const flashpayBefore = gw.gate.count('flashpay', 'createPayment');
    const failed = await createFailing(`no-failover-${kind}`, kind);
    expectError(failed, status, type);
    const paymentId = failed.body.error.details.paymentId;
    expect(paymentId).toMatch(/^pay_/);
    expect(gw.gate.count('flashpay', 'createPayment')).toBe(flashpayBefore);
    const kept = await gw.request('GET', `/v1/payments/${paymentId}`);
    expect(kept.body).toMatchObject({ provider: 'flexiqash', status: 'pending', providerPaymentId: null });
  });

  it('fails over when the circuit is open, without calling the first provider', async () => {
    await setFaults(gw.sandboxes.flexiqashUrl, { failNext: 2, failStatus: 500 });
    try {
      for (let i = 0; i < 2; i++) expect((await gw.request('POST', '/v1/payments', { body: usd(`trip-${i}`) })).status).toBe(502);
    } finally {
      await clearFaults(gw.sandboxes.flexiqashUrl);
    }
    const flexiqashCreates = await sandboxCalls(gw.sandboxes.flexiqashUrl, 'POST /api/payments/new');
    const moved = await gw.request('POST', '/v1/payments', { body: usd('circuit-open') });
    expect(moved.status).toBe(201);
    expect(moved.body.provider).toBe('flashpay');
    expect(await sandboxCalls(gw.sandboxes.flexiqashUrl, 'POST /api/payments/new')).toBe(flexiqashCreates);
    const providers = await gw.request('GET', '/admin/providers');
    expect(providers.body.data.find((p: { name: string }) => p.name === 'flexiqash').circuit).toBe('open');
  });
});
