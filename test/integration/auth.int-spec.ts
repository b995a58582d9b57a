import { startInProcessGateway, InProcessGateway } from '../support/in-process';
import { expectError } from '../support/expect-error';

// The API-key guard (libs/auth) through the gateway's real module graph: two instances on one database, so a
// revocation on one is seen by the other, which had the key cached.
describe('API-key guard', () => {
  let gw: InProcessGateway;
  let other: InProcessGateway;
  beforeAll(async () => {
    gw = await startInProcessGateway();
    other = await startInProcessGateway();
  });
  afterAll(async () => {
    await gw?.close();
    await other?.close();
  });

  it('answers 401 missing_api_key without a key or with a malformed Authorization header', async () => {
    expectError(await gw.request('GET', '/v1/payments', { key: null }), 401, 'authentication', 'missing_api_key');
    expectError(await gw.request('GET', '/v1/payments', { key: null, headers: { authorization: 'Basic abc' } }), 401, 'authentication', 'missing_api_key');
    expectError(await gw.request('GET', '/v1/payments', { key: null, headers: { authorization: 'Bearer ' } }), 401, 'authentication', 'missing_api_key');
  });

  it('answers 401 invalid_api_key for an unknown key, and a near miss of the admin key', async () => {
    expectError(await gw.request('GET', '/v1/payments', { key: 'sk_not-a-key-anyone-was-given' }), 401, 'authentication', 'invalid_api_key');
    expectError(await gw.request('GET', '/admin/routing', { key: `${gw.config.adminApiKey.slice(0, -1)}x` }), 401, 'authentication', 'invalid_api_key');
  });

  it('answers 403 missing_scope for a scope the key lacks, and lets the scope it has through', async () => {
    const reader = await gw.newKey(['payments:read']);
    expect((await gw.request('GET', '/v1/payments', { key: reader })).status).toBe(200);
    const refused = await gw.request('POST', '/v1/payments', { key: reader, body: { amount: 100, currency: 'USD', description: 'no scope' } });
    expectError(refused, 403, 'permission', 'missing_scope');
    expect(refused.body.error.message).toContain('payments:write');
    expectError(await gw.request('GET', '/v1/payouts', { key: reader }), 403, 'permission', 'missing_scope');
    const { rows } = await gw.db.query(`SELECT count(*)::int AS n FROM payments WHERE description = 'no scope'`);
    expect(rows[0].n).toBe(0);
  });

  it('keeps admin routes to admin keys: a service key with every other scope answers 403, an admin-scoped key passes', async () => {
    const service = await gw.newKey();
    for (const [method, url, body] of [
      ['POST', '/v1/api-keys', { name: 'sneaky', scopes: ['admin'] }],
      ['GET', '/v1/api-keys', undefined],
      ['GET', '/admin/routing', undefined],
      ['PUT', '/admin/routing', { defaultProvider: 'flashpay' }],
      ['GET', '/admin/providers', undefined],
      ['GET', '/metrics', undefined],
    ] as const) {
      expectError(await gw.request(method, url, { key: service, body }), 403, 'permission', 'missing_scope');
    }
    expect((await gw.request('GET', '/admin/routing')).body.defaultProvider).toBe('flexiqash');
    const { rows } = await gw.db.query(`SELECT count(*)::int AS n FROM api_keys WHERE name = 'sneaky'`);
    expect(rows[0].n).toBe(0);

    const operator = await gw.newKey(['admin']);
    expect((await gw.request('GET', '/admin/providers', { key: operator })).status).toBe(200);
    expect((await gw.request('GET', '/v1/api-keys', { key: operator })).status).toBe(200);
  });

  it('a revoked key answers 401 at once, on this instance and on another that had it cached', async () => {
    const created = await gw.request('POST', '/v1/api-keys', { body: { name: 'to-revoke', scopes: ['payments:read'] } });
    expect(created.status).toBe(201);
    const { id: keyId, key } = created.body as { id: string; key: string };
    // Both instances authenticate it, which caches it on each.
    expect((await gw.request('GET', '/v1/payments', { key })).status).toBe(200);
    expect((await other.request('GET', '/v1/payments', { key })).status).toBe(200);
    expect((await other.request('GET', '/v1/payments', { key })).status).toBe(200);

    const revoked = await gw.request('DELETE', `/v1/api-keys/${keyId}`);
    expect(revoked.status).toBeLessThan(300);

    // No waiting: the revoking request returned, so every listening instance has dropped the key.
    expectError(await gw.request('GET', '/v1/payments', { key }), 401, 'authentication', 'invalid_api_key');
    expectError(await other.request('GET', '/v1/payments', { key }), 401, 'authentication', 'invalid_api_key');
    expect((await gw.request('GET', '/v1/api-keys')).body.data.map((k: { id: string }) => k.id)).not.toContain(keyId);
  });

  it('a service key sees only what it created: another key gets 404 for its payment', async () => {
    const mine = await gw.newKey();
    const theirs = await gw.newKey();
    const created = await gw.request('POST', '/v1/payments', { key: mine, body: { amount: 100, currency: 'USD', description: 'tenancy' } });
    expect(created.status).toBe(201);
    expectError(await gw.request('GET', `/v1/payments/${created.body.id}`, { key: theirs }), 404, 'not_found');
    expectError(await other.request('DELETE', `/v1/payments/${created.body.id}`, { key: theirs }), 404, 'not_found');
    expect((await gw.request('GET', '/v1/payments?limit=100', { key: theirs })).body.data).toEqual([]);
    expect((await gw.request('GET', `/v1/payments/${created.body.id}`)).status).toBe(200); // the admin sees everything
  });
});
