import { NodeHttpTransport } from '../src/http/http-transport';
import { FlashpayFake } from './flashpay-fake';
import { FlexiqashFake } from './flexiqash-fake';
import { checkBody } from './strict-fake-server';

/** The fakes must catch what the documents do not allow, or the adapter tests prove nothing. */
describe('strict fakes', () => {
  const flexiqash = new FlexiqashFake('tok');
  const flashpay = new FlashpayFake('tok');
  const transport = new NodeHttpTransport();
  const send = async (method: string, url: string, headers: Record<string, string>, body?: string) =>
    (await transport.send({ method, url: new URL(url), headers, body, timeoutMs: 5000, maxResponseBytes: 1 << 20 })).status;
  const good = { Authorization: 'Bearer tok', Accept: 'application/json', 'Content-Type': 'application/json' };

  beforeAll(async () => {
    await flexiqash.start();
    await flashpay.start();
  });
  afterAll(async () => {
    transport.close();
    await flexiqash.stop();
    await flashpay.stop();
  });
  beforeEach(() => {
    flexiqash.server.reset();
    flashpay.server.reset();
  });

  async function flexi(method: string, path: string, headers: Record<string, string>, data?: string) {
    return send(method, flexiqash.server.url + path, headers, data);
  }

  it('FlexiQash: accepts a documented request', async () => {
    expect(await flexi('POST', '/api/payments/new', good, JSON.stringify({ name: 'x', amount: 1.5, payee: { reference: 'p' } }))).toBe(201);
    expect(flexiqash.violations).toEqual([]);
  });

  it.each([
    ['unknown path', 'GET', '/api/payment', good, undefined],
    ['wrong method', 'POST', '/api/payments', good, '{}'],
    ['missing Accept', 'GET', '/api/payments', { Authorization: 'Bearer tok', 'Content-Type': 'application/json' }, undefined],
    ['missing Content-Type', 'GET', '/api/payments', { Authorization: 'Bearer tok', Accept: 'application/json' }, undefined],
    ['missing Authorization', 'GET', '/api/payments', { Accept: 'application/json', 'Content-Type': 'application/json' }, undefined],
    ['Basic auth', 'GET', '/api/payments', { ...good, Authorization: 'Basic dG9r' }, undefined],
    ['wrong token', 'GET', '/api/payments', { ...good, Authorization: 'Bearer other' }, undefined],
    ['query string', 'GET', '/api/payments?page=2', good, undefined],
    ['amount as a string', 'POST', '/api/payments/new', good, JSON.stringify({ name: 'x', amount: '1.50', payee: { reference: 'p' } })],
    ['unknown field', 'POST', '/api/payments/new', good, JSON.stringify({ name: 'x', amount: 1, payee: { reference: 'p' }, currency: 'USD' })],
    ['unknown nested field', 'POST', '/api/payments/new', good, JSON.stringify({ name: 'x', amount: 1, payee: { reference: 'p', name: 'n' } })],
    ['missing payee', 'POST', '/api/payments/new', good, JSON.stringify({ name: 'x', amount: 1 })],
    ['body on archive', 'PATCH', '/api/payments/g/archive', good, '{}'],
    ['metadata on update', 'PATCH', '/api/payments/g/update', good, JSON.stringify({ metadata: {} })],
  ])('FlexiQash: flags %s', async (_, method, path, headers, data) => {
    expect(await flexi(method, path, headers, data)).toBe(599);
    expect(flexiqash.violations).toHaveLength(1);
  });

  it.each([
    ['amount not an integer', { amount: 10.5 }],
    ['amount as a string', { amount: '1000' }],
    ['unknown field', { metadata: {} }],
    ['missing statusWebhook', { statusWebhook: undefined }],
  ])('Flashpay: flags a payment body with %s', async (_, patch) => {
    const body = { amount: 1000, currency: 'NGN', reference: 'r', description: 'd', statusWebhook: 'https://gw.test/webhooks/flashpay', ...patch };
    const status = await send('POST', `${flashpay.server.url}/api/v1/payment`, good, JSON.stringify(body));
    expect(status).toBe(599);
    expect(flashpay.violations).toHaveLength(1);
  });

  it('Flashpay: flags a payout naming both a beneficiary and a destination, and an unknown path', async () => {
    const body = { amount: 1, currency: 'NGN', reference: 'r', beneficiaryId: 'ben_1', destinationBankId: 'b', destinationAccount: '1', destinationAccountName: 'n' };
    expect(await send('POST', `${flashpay.server.url}/api/v1/payout`, good, JSON.stringify(body))).toBe(599);
    expect(await send('GET', `${flashpay.server.url}/api/v1/payments`, good)).toBe(599);
    expect(flashpay.violations).toHaveLength(2);
  });

  it('checkBody names every problem', () => {
    expect(checkBody({ a: 1, b: 'x' }, { a: { type: 'string', required: true }, c: { type: 'integer', required: true } })).toEqual([
      'body.b is not a field the document describes',
      'body.a has the wrong type (1)',
      'body.c is required',
    ]);
  });
});
