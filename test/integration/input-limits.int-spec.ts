import { startInProcessGateway, startGatewayWithKey, InProcessGateway } from '../support/in-process';

const nested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
const arrays = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('limits checked before any work', () => {
  let gw: InProcessGateway;
  let key: string;
  beforeAll(async () => ({ gw, key } = await startGatewayWithKey()));
  afterAll(() => gw?.close());

  const payments = async () => Number((await gw.db.query('select count(*) from payments')).rows[0].count);
  const storedKeys = async () => Number((await gw.db.query('select count(*) from idempotency_keys')).rows[0].count);

  it.each([
    ['3,000 levels of objects with an Idempotency-Key', nested(3000), true],
    ['3,000 levels of objects without one', nested(3000), false],
    ['20,000 levels of arrays (the 64 KiB body limit allows them)', arrays(20_000), true],
    ['33 levels inside an otherwise valid payment', `{"amount":100,"currency":"USD","description":"x","metadata":${nested(32)}}`, true],
  ])('%s: 400 json_too_deep, nothing stored', async (_name, raw, withKey) => {
    const [paymentsBefore, keysBefore] = [await payments(), await storedKeys()];
    const answer = await gw.request('POST', '/v1/payments', {
      key,
      body: raw,
      headers: withKey ? { 'idempotency-key': `deep-${Math.random()}` } : {},
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: expect.objectContaining({ type: 'invalid_request', code: 'json_too_deep', message: 'JSON nested deeper than 32 levels is not accepted' }),
      requestId: expect.any(String),
    });
    expect([await payments(), await storedKeys()]).toEqual([paymentsBefore, keysBefore]);
  });

  it('32 levels pass the parser and reach validation (422, not 400)', async () => {
    const answer = await gw.request('POST', '/v1/payments', {
      key,
      body: `{"amount":100,"currency":"USD","description":"x","metadata":${nested(31)}}`,
      headers: { 'idempotency-key': `deep-ok-${Math.random()}` },
    });
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('validation_failed');
  });

  it.each([
    ['payer', '/v1/payments', { amount: 100, currency: 'USD', description: 'x', payer: [{ name: 'A', email: 'a@example.com' }] }],
    ['payee', '/v1/payments', { amount: 100, currency: 'USD', description: 'x', payee: [] }],
    ['destination', '/v1/payouts', { amount: 100, currency: 'NGN', destination: [{ bankId: '044', accountNumber: '1', accountName: 'A' }] }],
  ])('an array where %s must be an object: 422 naming the field, nothing stored', async (field, path, body) => {
    const rows = async () => (await gw.db.query('select (select count(*) from payments) + (select count(*) from payouts) as n')).rows[0].n;
    const before = await rows();
    const answer = await gw.request('POST', path, { key, body: JSON.stringify(body) });
    expect(answer.status).toBe(422);
    expect(answer.body.error.details).toEqual([{ field, message: `${field} must be an object` }]);
    expect(await rows()).toBe(before);
  });

  it.each([
    ['a metadata key', { amount: 100, currency: 'USD', description: 'x', metadata: { toString: 'x' } }, 'metadata.toString'],
    ['a top-level field', { amount: 100, currency: 'USD', description: 'x', constructor: 'x' }, 'constructor'],
    ['a payer field', { amount: 100, currency: 'USD', description: 'x', payer: { name: 'A', email: 'a@example.com', valueOf: 'x' } }, 'payer.valueOf'],
  ])('a field named like a member of every object (%s) answers 422 instead of being dropped, nothing stored', async (_name, body, field) => {
    const before = await payments();
    const answer = await gw.request('POST', '/v1/payments', { key, body: JSON.stringify(body) });
    expect(answer.status).toBe(422);
    expect(answer.body.error.details).toEqual([{ field, message: expect.stringContaining('cannot be used as a field name') }]);
    expect(await payments()).toBe(before);
  });

  it('brackets inside strings do not count as nesting', async () => {
    const answer = await gw.request('POST', '/v1/payments', {
      key,
      body: JSON.stringify({ amount: 100, currency: 'USD', description: '[{'.repeat(40) + '"\\' }),
    });
    expect(answer.status).toBe(201);
  });

  it.each([
    ['a string value', JSON.stringify({ amount: 100, currency: 'USD', description: 'x'.repeat(8 * 1024 + 1) })],
    ['a field name', JSON.stringify({ amount: 100, currency: 'USD', description: 'x', ['k'.repeat(8 * 1024 + 1)]: 'v' })],
    ['escapes that shrink when decoded still count as written', JSON.stringify({ amount: 100, currency: 'USD', description: 'é'.repeat(4 * 1024 + 1) }).replace(/é/g, '\\u00e9')],
  ])('a string longer than 8 KiB (%s): 400 json_string_too_long, nothing stored', async (_name, raw) => {
    const before = await payments();
    const answer = await gw.request('POST', '/v1/payments', { key, body: raw, headers: { 'idempotency-key': `long-${Math.random()}` } });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request', code: 'json_string_too_long' });
    expect(await payments()).toBe(before);
  });

  it.each([
    ['application/x-www-form-urlencoded', JSON.stringify({ amount: 100, currency: 'USD', description: 'form' })],
    ['text/plain', JSON.stringify({ amount: 100, currency: 'USD', description: 'text' })],
    ['text/plain; charset=utf-8', 'hello'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="amount"\r\n\r\n1\r\n--x--\r\n'],
    ['application/xml', '<payment/>'],
  ])('a %s body on a JSON route: 415 unsupported_media_type, nothing stored', async (contentType, raw) => {
    const before = await payments();
    const answer = await gw.request('POST', '/v1/payments', { key, body: raw, headers: { 'content-type': contentType, 'idempotency-key': `ctype-${Math.random()}` } });
    expect(answer.status).toBe(415);
    expect(answer.body).toEqual({
      error: expect.objectContaining({ type: 'invalid_request', code: 'unsupported_media_type', message: 'The body must be JSON (Content-Type: application/json)' }),
      requestId: expect.any(String),
    });
    expect(await payments()).toBe(before);
  });

  it('JSON with a charset parameter is still JSON', async () => {
    const answer = await gw.request('POST', '/v1/payments', {
      key,
      body: JSON.stringify({ amount: 100, currency: 'USD', description: 'charset' }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(answer.status).toBe(201);
  });

  it('an action route without a body is not refused for its content type', async () => {
    const created = await gw.request('POST', '/v1/payments', { key, body: { amount: 100, currency: 'USD', description: 'archive me' } });
    const archived = await gw.app.inject({
      method: 'POST',
      url: `/v1/payments/${created.body.id}/archive`,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain', 'content-length': '0' },
    });
    expect(archived.statusCode).toBe(200);
  });
});
