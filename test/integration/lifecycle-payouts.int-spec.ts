import { DataSource } from 'typeorm';
import { ProviderError } from '@app/payments';
import { ProviderRegistry } from '@app/providers';
import { startInProcessGateway, InProcessGateway } from '../support/in-process';
import { countStatements } from '../support/statements';

/**
 * Payouts follow the payments' create protocol: an unknown outcome answers with the payout's id and leaves it
 * listed for operators, who resolve it (audited); a reference is unique per API key.
 */
describe('payout lifecycle', () => {
  let gw: InProcessGateway;
  let key: string;
  const destination = { bankId: 'b1', accountNumber: '0123456789', accountName: 'Ada' };

  beforeAll(async () => {
    gw = await startInProcessGateway({ sandbox: { flexiqashWebhookUrl: '' } });
    key = await gw.newKey();
  });
  afterAll(async () => {
    await gw?.close();
  });

  async function unknownPayout(reference: string): Promise<string> {
    const held = gw.gate.hold('flashpay', 'createPayout');
    const answer = gw.request('POST', '/v1/payouts', { key, body: { amount: 1000, currency: 'NGN', destination, reference } });
    await held.arrived;
    held.fail(new ProviderError('flashpay', 'timeout', 'timed out'));
    const failed = await answer;
    expect(failed.status).toBe(504);
    expect(failed.body.error.details).toMatchObject({ payoutId: expect.stringMatching(/^po_/) });
    return failed.body.error.details.payoutId;
  }

  it('a create writes the payout twice: an INSERT that takes its lease, then one statement that confirms it and gives the lease back', async () => {
    const reference = `born-leased-${Date.now()}`;
    const statements = countStatements(gw.app.get(DataSource), /\b(INSERT INTO|UPDATE|FROM) payouts\b/);
    try {
      const held = gw.gate.hold('flashpay', 'createPayout');
      const create = gw.request('POST', '/v1/payouts', { key, body: { amount: 1000, currency: 'NGN', destination, reference } });
      await held.arrived;
      const { rows: during } = await gw.db.query(`SELECT lease_token IS NOT NULL AND lease_until > now() AS leased FROM payouts WHERE reference = $1`, [reference]);
      expect(during).toEqual([{ leased: true }]);
      held.release();
      const created = await create;
      expect(created.status).toBe(201);
      expect(statements).toHaveLength(2);
      expect(statements[0]).toMatch(/^INSERT INTO payouts .*lease_token/s);
      expect(statements[1]).toMatch(/UPDATE payouts SET .*lease_token = NULL/s);
      const { rows } = await gw.db.query('SELECT lease_token, version FROM payouts WHERE id = $1', [created.body.id]);
      expect(rows).toEqual([{ lease_token: null, version: 1 }]);
      const { rows: events } = await gw.db.query('SELECT type FROM events WHERE resource_id = $1', [created.body.id]);
      expect(events.map((e: { type: string }) => e.type)).toEqual(['payout.created']);
    } finally {
      statements.stop();
    }
  });

  it('a payout whose row changed while the provider was creating it is confirmed under the row lock, lease given back', async () => {
    const reference = `changed-meanwhile-${Date.now()}`;
    const held = gw.gate.hold('flashpay', 'createPayout');
    const create = gw.request('POST', '/v1/payouts', { key, body: { amount: 1000, currency: 'NGN', destination, reference } });
    await held.arrived;
    await gw.db.query(`UPDATE payouts SET version = version + 1 WHERE reference = $1`, [reference]);
    held.release();
    const created = await create;
    expect(created.status).toBe(201);
    expect(created.body.providerPayoutId).toEqual(expect.any(String));
    const { rows } = await gw.db.query('SELECT lease_token, version, provider_state_unknown FROM payouts WHERE id = $1', [created.body.id]);
    expect(rows).toEqual([{ lease_token: null, version: 2, provider_state_unknown: false }]);
  });

  it('a payout whose outcome is unknown answers 504 with its id, is listed for operators and resolved as failed, audited', async () => {
    const id = await unknownPayout(`unknown-${Date.now()}`);
    expect((await gw.request('GET', `/v1/payouts/${id}`, { key })).body).toMatchObject({ id, status: 'pending', providerPayoutId: null });
    const listed = await gw.request('GET', '/admin/payouts?state=unknown&limit=100');
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((p: { id: string }) => p.id)).toContain(id);
    expect((await gw.request('GET', '/admin/payouts?state=unknown', { key })).status).toBe(403);

    const resolved = await gw.request('POST', `/admin/payouts/${id}/resolve`, { body: { outcome: 'failed', note: 'not in the Flashpay dashboard' } });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ id, status: 'failed', providerStatus: 'not_created' });
    const { rows } = await gw.db.query('SELECT operator, outcome, note FROM payout_resolutions WHERE payout_id = $1', [id]);
    expect(rows).toEqual([{ operator: 'admin', outcome: 'failed', note: 'not in the Flashpay dashboard' }]);
    const events = await gw.db.query('SELECT type FROM events WHERE resource_id = $1', [id]);
    expect(events.rows.map((e) => e.type)).toEqual(['payout.failed']);
    expect((await gw.request('GET', '/admin/payouts?state=unknown&limit=100')).body.data.map((p: { id: string }) => p.id)).not.toContain(id);
    const again = await gw.request('POST', `/admin/payouts/${id}/resolve`, { body: { outcome: 'failed' } });
    expect(again.status).toBe(409);
  });

  it("an operator resolves an unknown payout with the provider's payout id; the gateway then reads it there", async () => {
    const id = await unknownPayout(`paid-${Date.now()}`);
    // What the operator found at Flashpay: the payout the timed-out call had made.
    const made = await gw.get<ProviderRegistry>(ProviderRegistry).get('flashpay').createPayout!({
      gatewayPayoutId: id, amount: 1000, currency: 'NGN', beneficiaryId: null, destination, reference: null, description: null,
    });
    expect((await gw.request('POST', `/admin/payouts/${id}/resolve`, { body: { outcome: 'paid' } })).status).toBe(422);
    const resolved = await gw.request('POST', `/admin/payouts/${id}/resolve`, { body: { outcome: 'paid', providerPayoutId: made.providerPayoutId } });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ id, providerPayoutId: made.providerPayoutId });
    expect(resolved.body.providerStatus).not.toBe('resolved_by_operator');
    const { rows } = await gw.db.query('SELECT outcome, provider_payout_id FROM payout_resolutions WHERE payout_id = $1', [id]);
    expect(rows).toEqual([{ outcome: 'paid', provider_payout_id: made.providerPayoutId }]);
  });

  it('a payout whose provider certainly did nothing is gone, and its reference is free again', async () => {
    const reference = `refused-${Date.now()}`;
    const held = gw.gate.hold('flashpay', 'createPayout');
    const answer = gw.request('POST', '/v1/payouts', { key, body: { amount: 1000, currency: 'NGN', destination, reference } });
    await held.arrived;
    held.fail(new ProviderError('flashpay', 'unreachable', 'connection refused'));
    expect((await answer).status).toBe(503);
    expect((await gw.db.query('SELECT 1 FROM payouts WHERE reference = $1', [reference])).rowCount).toBe(0);
    expect((await gw.request('POST', '/v1/payouts', { key, body: { amount: 1000, currency: 'NGN', destination, reference } })).status).toBe(201);
  });

  it('a second payout with the same reference under one API key answers 409 naming the first; another key may use it', async () => {
    const reference = `ref-${Date.now()}`;
    const first = await gw.request('POST', '/v1/payouts', { key, body: { amount: 1000, currency: 'NGN', destination, reference } });
    expect(first.status).toBe(201);
    const calls = gw.gate.count('flashpay', 'createPayout');
    const second = await gw.request('POST', '/v1/payouts', { key, body: { amount: 2000, currency: 'NGN', destination, reference } });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ type: 'conflict', code: 'duplicate_reference', details: { payoutId: first.body.id } });
    expect(gw.gate.count('flashpay', 'createPayout')).toBe(calls);
    const otherKey = await gw.newKey();
    expect((await gw.request('POST', '/v1/payouts', { key: otherKey, body: { amount: 1000, currency: 'NGN', destination, reference } })).status).toBe(201);
  });
});
