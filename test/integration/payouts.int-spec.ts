import { ProviderError } from '@app/payments';
import { startInProcessGateway, startGatewayWithKey, InProcessGateway } from '../support/in-process';
import { reached } from '../support/provider-gate';
import { expectError } from '../support/expect-error';

const destination = { bankId: '058', accountNumber: '0123456789', accountName: 'Ada Obi' };

describe('payouts and beneficiaries through the real module graph', () => {
  let gw: InProcessGateway;
  let key: string;
  beforeAll(async () => ({ gw, key } = await startGatewayWithKey()));
  afterAll(() => gw?.close());

  async function payoutRows(reference: string): Promise<Array<{ id: string; status: string; provider_payout_id: string | null }>> {
    const { rows } = await gw.db.query(`SELECT id, status, provider_payout_id FROM payouts WHERE reference = $1`, [reference]);
    return rows;
  }

  it('lists Flashpay beneficiaries and pays out to one; reads, lists and refreshes it; payout.created is committed with it', async () => {
    const beneficiaries = await gw.request('GET', '/v1/beneficiaries?provider=flashpay', { key });
    expect(beneficiaries.status).toBe(200);
    expect(beneficiaries.body.data.length).toBeGreaterThan(0);
    const beneficiary = beneficiaries.body.data[0];
    expect(beneficiary).toEqual({ id: expect.any(String), name: expect.any(String), bankId: expect.any(String), accountNumber: expect.any(String), accountName: expect.any(String) });

    const created = await gw.request('POST', '/v1/payouts', { key, body: { amount: 250000, currency: 'NGN', beneficiaryId: beneficiary.id, reference: 'po-life' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'payout', provider: 'flashpay', amount: 250000, currency: 'NGN', status: 'pending', reference: 'po-life' });
    expect(created.body.id).toMatch(/^po_/);
    expect(created.body.providerPayoutId).toEqual(expect.any(String));
    expect((await gw.request('GET', `/v1/payouts/${created.body.id}`, { key })).body).toEqual(created.body);
    expect((await gw.request('GET', '/v1/payouts', { key })).body.data.map((p: { id: string }) => p.id)).toContain(created.body.id);
    const refreshed = await gw.request('POST', `/v1/payouts/${created.body.id}/refresh`, { key });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.id).toBe(created.body.id);

    const { rows } = await gw.db.query(`SELECT type FROM events WHERE resource_id = $1 ORDER BY created_at`, [created.body.id]);
    expect(rows[0].type).toBe('payout.created');

    const direct = await gw.request('POST', '/v1/payouts', { key, body: { amount: 1000, currency: 'NGN', destination, reference: 'po-direct' } });
    expect(direct.status).toBe(201);
    expect(direct.body.destination).toMatchObject(destination);

    const stranger = await gw.newKey();
    expectError(await gw.request('GET', `/v1/payouts/${created.body.id}`, { key: stranger }), 404, 'not_found');
  });

  it('writes nothing on bad input or a provider that cannot pay out: no payout row, no provider call, no event', async () => {
    const calls = gw.gate.calls.length;
    const cases: Array<[unknown, number, string]> = [
      [{ amount: 1000, currency: 'USD', provider: 'flexiqash', beneficiaryId: 'x', reference: 'po-bad-0' }, 422, 'capability_not_supported'],
      [{ amount: 1000, currency: 'NGN', beneficiaryId: 'x', destination, reference: 'po-bad-1' }, 422, 'invalid_request'],
      [{ amount: 1000, currency: 'NGN', reference: 'po-bad-2' }, 422, 'invalid_request'],
      [{ amount: 10.5, currency: 'NGN', destination, reference: 'po-bad-3' }, 422, 'invalid_request'],
      [{ amount: 1000, currency: 'NGN', destination: { bankId: '' }, reference: 'po-bad-4' }, 422, 'invalid_request'],
      [{ amount: 1000, currency: 'JPY', destination, reference: 'po-bad-5' }, 422, 'capability_not_supported'],
    ];
    for (const [body, status, type] of cases) {
      const answer = await gw.request('POST', '/v1/payouts', { key, body, headers: { 'idempotency-key': `po-${(body as { reference: string }).reference}` } });
      expect({ reference: (body as { reference: string }).reference, status: answer.status, type: answer.body.error?.type }).toEqual({
        reference: (body as { reference: string }).reference,
        status: expect.any(Number),
        type,
      });
      expect([400, status]).toContain(answer.status);
    }
    expect(gw.gate.calls.slice(calls)).toEqual([]);
    const { rows } = await gw.db.query(
      `SELECT (SELECT count(*)::int FROM payouts WHERE reference LIKE 'po-bad-%') AS payouts,
              (SELECT count(*)::int FROM idempotency_keys WHERE key LIKE 'po-po-bad-%') AS keys`,
    );
    expect(rows[0]).toEqual({ payouts: 0, keys: 0 });
    expectError(await gw.request('GET', '/v1/beneficiaries?provider=flexiqash', { key }), 422, 'capability_not_supported');
  });

  it('removes the row when the provider certainly did nothing, and keeps it pending for reconciliation when the outcome is unknown', async () => {
    const refused = gw.gate.hold('flashpay', 'createPayout');
    const first = gw.request('POST', '/v1/payouts', { key, body: { amount: 1000, currency: 'NGN', destination, reference: 'po-unreachable' } });
    await reached(refused, first);
    refused.fail(new ProviderError('flashpay', 'unreachable', 'connection refused'));
    expectError(await first, 503, 'provider_unavailable');
    expect(await payoutRows('po-unreachable')).toEqual([]);

    const lost = gw.gate.hold('flashpay', 'createPayout');
    const second = gw.request('POST', '/v1/payouts', { key, body: { amount: 1000, currency: 'NGN', destination, reference: 'po-timeout' } });
    await reached(lost, second);
    lost.fail(new ProviderError('flashpay', 'timeout', 'no answer'));
    expectError(await second, 504, 'provider_timeout');
    expect(await payoutRows('po-timeout')).toEqual([{ id: expect.stringMatching(/^po_/), status: 'pending', provider_payout_id: null }]);
  });

  // CONTRACT: "Unknown outcomes answer 502/504 with details.paymentId or details.payoutId".
  it('a payout whose outcome is unknown answers 504 naming it in details.payoutId', async () => {
    const lost = gw.gate.hold('flashpay', 'createPayout');
    const answer = gw.request('POST', '/v1/payouts', { key, body: { amount: 1000, currency: 'NGN', destination, reference: 'po-named' } });
    await reached(lost, answer);
    lost.fail(new ProviderError('flashpay', 'timeout', 'no answer'));
    const failed = await answer;
    expectError(failed, 504, 'provider_timeout');
    const [row] = await payoutRows('po-named');
    expect(failed.body.error.details?.payoutId).toBe(row.id);
  });
});
