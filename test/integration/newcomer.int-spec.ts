import { MAX_MINOR_AMOUNT } from '@app/payments';
import { startInProcessGateway, startGatewayWithKey, InProcessGateway } from '../support/in-process';

/** What a first-time caller trips on: messages that say the real problem, one status per problem, plain shapes. */
describe('a newcomer’s requests', () => {
  let gw: InProcessGateway;
  let key: string;
  beforeAll(async () => ({ gw, key } = await startGatewayWithKey()));
  afterAll(() => gw?.close());

  describe('validation messages', () => {
    it('limit=abc says it must be an integer, and only that', async () => {
      const answer = await gw.request('GET', '/v1/payments?limit=abc', { key });
      expect(answer.status).toBe(422);
      expect(answer.body.error.message).toBe('limit must be an integer number');
      expect(answer.body.error.details).toEqual([{ field: 'limit', message: 'limit must be an integer number' }]);
    });

    it('limit=500 names the range', async () => {
      const answer = await gw.request('GET', '/v1/payments?limit=500', { key });
      expect(answer.status).toBe(422);
      expect(answer.body.error.details).toEqual([{ field: 'limit', message: 'limit must not be greater than 100' }]);
    });

    it('a missing description is one message: it is required', async () => {
      const answer = await gw.request('POST', '/v1/payments', { key, body: { amount: 100, currency: 'USD' } });
      expect(answer.status).toBe(422);
      expect(answer.body.error.details).toEqual([{ field: 'description', message: 'description is required' }]);
      expect(answer.body.error.message).toBe('description is required');
    });

    it('a description of the wrong type says so once', async () => {
      const answer = await gw.request('POST', '/v1/payments', { key, body: { amount: 100, currency: 'USD', description: 7 } });
      expect(answer.status).toBe(422);
      expect(answer.body.error.details).toEqual([{ field: 'description', message: 'description must be a string' }]);
    });

    it('an amount past the limit is refused by validation with the limit it states, and nothing is stored', async () => {
      const reference = `too-large-${Date.now()}`;
      for (const amount of [Number.MAX_SAFE_INTEGER, MAX_MINOR_AMOUNT + 1]) {
        const answer = await gw.request('POST', '/v1/payments', { key, body: { amount, currency: 'USD', description: 'd', reference } });
        expect(answer.status).toBe(422);
        expect(answer.body.error).toMatchObject({ type: 'invalid_request', code: 'validation_failed' });
        expect(answer.body.error.details).toEqual([
          { field: 'amount', message: `amount must be a positive whole number of minor units, at most ${MAX_MINOR_AMOUNT}` },
        ]);
      }
      const { rows } = await gw.db.query('select id from payments where reference = $1', [reference]);
      expect(rows).toEqual([]);
    });

    it('the largest amount the message names is one FlexiQash is really sent', async () => {
      const answer = await gw.request('POST', '/v1/payments', { key, body: { amount: MAX_MINOR_AMOUNT, currency: 'USD', description: 'largest' } });
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({ amount: MAX_MINOR_AMOUNT, provider: 'flexiqash' });
    });
  });

  describe('a Flashpay payment cannot be changed or cancelled, whatever its status', () => {
    it.each(['pending', 'failed', 'succeeded'])('%s: PATCH and DELETE answer 422 capability_not_supported', async (status) => {
      const created = await gw.request('POST', '/v1/payments', { key, body: { amount: 1000, currency: 'NGN', description: 'watch', provider: 'flashpay' } });
      expect(created.status).toBe(201);
      await gw.db.query('update payments set status = $2 where id = $1', [created.body.id, status]);
      const patched = await gw.request('PATCH', `/v1/payments/${created.body.id}`, { key, body: { description: 'other' } });
      expect(patched.status).toBe(422);
      expect(patched.body.error.type).toBe('capability_not_supported');
      const cancelled = await gw.request('DELETE', `/v1/payments/${created.body.id}`, { key });
      expect(cancelled.status).toBe(422);
      expect(cancelled.body.error.type).toBe('capability_not_supported');
      const { rows } = await gw.db.query('select status, description from payments where id = $1', [created.body.id]);
      expect(rows).toEqual([{ status, description: 'watch' }]);
    });

    it('metadata, which is the gateway’s own, still changes on a pending Flashpay payment', async () => {
      const created = await gw.request('POST', '/v1/payments', { key, body: { amount: 1000, currency: 'NGN', description: 'watch', provider: 'flashpay' } });
      const patched = await gw.request('PATCH', `/v1/payments/${created.body.id}`, { key, body: { metadata: { order: '7' } } });
      expect(patched.status).toBe(200);
      expect(patched.body.metadata).toEqual({ order: '7' });
    });

    it('a FlexiQash payment in a final state still answers 409', async () => {
      const created = await gw.request('POST', '/v1/payments', { key, body: { amount: 1000, currency: 'USD', description: 'd' } });
      await gw.db.query(`update payments set status = 'failed' where id = $1`, [created.body.id]);
      const patched = await gw.request('PATCH', `/v1/payments/${created.body.id}`, { key, body: { description: 'other' } });
      expect(patched.status).toBe(409);
      expect(patched.body.error.code).toBe('invalid_state');
    });
  });

  describe('POST /v1/events/{id}/redeliver', () => {
    let eventId: string;
    beforeAll(async () => {
      await gw.request('POST', '/v1/payments', { key, body: { amount: 500, currency: 'USD', description: 'event source' } });
      const events = await gw.request('GET', '/v1/events?limit=1', { key });
      eventId = events.body.data[0].id;
    });

    it('takes no body, like the other action routes', async () => {
      const answer = await gw.request('POST', `/v1/events/${eventId}/redeliver`, { key });
      expect(answer.status).toBe(202);
    });

    it('still takes {} and still validates endpointId', async () => {
      expect((await gw.request('POST', `/v1/events/${eventId}/redeliver`, { key, body: {} })).status).toBe(202);
      const bad = await gw.request('POST', `/v1/events/${eventId}/redeliver`, { key, body: { endpointId: 5 } });
      expect(bad.status).toBe(422);
      expect(bad.body.error.details).toEqual([{ field: 'endpointId', message: 'endpointId must be a string' }]);
    });

    it('other routes still refuse a missing body', async () => {
      const answer = await gw.request('POST', '/v1/payments', { key });
      expect(answer.status).toBe(422);
      expect(answer.body.error.type).toBe('invalid_request');
    });
  });

  it('GET /v1/providers is a {data} list like every other list', async () => {
    const answer = await gw.request('GET', '/v1/providers', { key });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body)).toEqual(['data']);
    expect(answer.body.data.map((p: { name: string }) => p.name).sort()).toEqual(['flashpay', 'flexiqash']);
  });

  it('transaction timestamps carry their time zone (…Z), and the checkout page shows the currency', async () => {
    const created = await gw.request('POST', '/v1/payments', { key, body: { amount: 12399, currency: 'USD', description: 'Membership' } });
    const checkoutUrl: string = created.body.checkoutUrl;
    const page = await fetch(checkoutUrl);
    expect(await page.text()).toContain('123.99 USD');
    const paid = await fetch(checkoutUrl.replace(/\/request$/, '/pay'), { method: 'POST' });
    expect(paid.status).toBe(200);
    const transactions = await gw.request('GET', `/v1/payments/${created.body.id}/transactions`, { key });
    expect(transactions.status).toBe(200);
    expect(transactions.body.data).toHaveLength(1);
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
    expect(transactions.body.data[0].createdAt).toMatch(iso);
    expect(transactions.body.data[0].paidAt).toMatch(iso);
    const ageMs = Date.now() - Date.parse(transactions.body.data[0].paidAt);
    expect(ageMs).toBeGreaterThanOrEqual(-5_000);
    expect(ageMs).toBeLessThan(60_000);
  });
});
