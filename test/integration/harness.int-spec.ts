import { ProviderError } from '@app/payments';
import { startInProcessGateway, InProcessGateway } from '../support/in-process';

describe('in-process gateway harness', () => {
  let gw: InProcessGateway;
  beforeAll(async () => {
    gw = await startInProcessGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('serves a create through the real module graph and a held provider call waits for release', async () => {
    const key = await gw.newKey();
    const held = gw.gate.hold('flexiqash', 'createPayment');
    const answer = gw.request('POST', '/v1/payments', { key, body: { amount: 1000, currency: 'USD', description: 'harness' } });
    await held.arrived;
    expect(gw.gate.count('flexiqash', 'createPayment')).toBe(0);
    held.release();
    const created = await answer;
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ amount: 1000, currency: 'USD', provider: 'flexiqash', status: 'pending' });
    expect(gw.gate.count('flexiqash', 'createPayment')).toBe(1);
    const { rows } = await gw.db.query('select status from payments where id = $1', [created.body.id]);
    expect(rows).toEqual([{ status: 'pending' }]);
  });

  it('a held call can be failed instead of reaching the provider', async () => {
    const key = await gw.newKey();
    const held = gw.gate.hold('flexiqash', 'createPayment');
    const answer = gw.request('POST', '/v1/payments', { key, body: { amount: 1000, currency: 'USD', description: 'fails' } });
    await held.arrived;
    held.fail(new ProviderError('flexiqash', 'unreachable', 'connection refused'));
    const failed = await answer;
    expect(failed.status).toBe(503);
    expect(failed.body.error).toMatchObject({ type: 'provider_unavailable', code: 'provider_unreachable' });
    expect(gw.gate.count('flexiqash', 'createPayment')).toBe(1);
  });
});
