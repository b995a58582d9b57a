import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildFlashpaySandbox, buildFlexiqashSandbox, type RunningSandboxes, startSandboxes } from '../apps/sandbox/src/sandbox';
import { waitUntil } from './support/services';

const FLEXIQASH_TOKEN = 'test-flexiqash-token';
const FLASHPAY_TOKEN = 'test-flashpay-token';
const WEBHOOK_SECRET = 'test-webhook-secret';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A local webhook receiver; `failures` answers the next N deliveries with 500. */
class Receiver {
  received: Received[] = [];
  failures = 0;
  url = '';
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
      const failing = this.failures > 0;
      if (failing) this.failures -= 1;
      response.writeHead(failing ? 500 : 200).end();
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  matching(predicate: (json: any) => boolean): Received[] {
    return this.received.filter((entry) => predicate(JSON.parse(entry.body.toString('utf8'))));
  }

  async waitFor(predicate: (json: any) => boolean, count: number, timeoutMs = 2000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.matching(predicate).length < count && Date.now() < deadline) await sleep(10);
    return this.matching(predicate);
  }
}

async function call(url: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json') ?? false;
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, json: isJson ? JSON.parse(text) : undefined };
}

/** Polls `read` every 10 ms until `done` holds; fails with `what` after `timeoutMs`. */
const until = <T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000) => waitUntil(what, read, done, timeoutMs, 10);

function submitForm(url: string) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=go' });
}

describe('provider sandboxes', () => {
  const receiver = new Receiver();
  let sandboxes: RunningSandboxes;
  let fq: (path: string, init?: { method?: string; body?: unknown; token?: string }) => ReturnType<typeof call>;
  let fp: (path: string, init?: { method?: string; body?: unknown; token?: string }) => ReturnType<typeof call>;

  beforeAll(async () => {
    await receiver.start();
    sandboxes = await startSandboxes({
      flexiqashPort: 0,
      flashpayPort: 0,
      flexiqashApiToken: FLEXIQASH_TOKEN,
      flashpayApiToken: FLASHPAY_TOKEN,
      flexiqashWebhookUrl: `${receiver.url}/webhooks/flexiqash`,
      flexiqashWebhookSecret: WEBHOOK_SECRET,
      webhookRetryDelayMs: 50,
      payoutSettleMs: 50,
    });
    fq = (path, init = {}) => call(`${sandboxes.flexiqashUrl}${path}`, { token: FLEXIQASH_TOKEN, ...init });
    fp = (path, init = {}) => call(`${sandboxes.flashpayUrl}/api/v1${path}`, { token: FLASHPAY_TOKEN, ...init });
  });

  /** FlexiQash's own log of its webhook attempts (url, attempt, status), oldest first. */
  const webhookLog = async (): Promise<Array<{ attempt: number; status: number | null; at: string }>> => (await call(`${sandboxes.flexiqashUrl}/__sandbox/webhooks`)).json.data;

  afterAll(async () => {
    await sandboxes?.close();
    await receiver.close();
  });

  beforeEach(() => {
    receiver.failures = 0;
  });

  const newFlexiqashPayment = async (body: object = { name: 'Membership', amount: 123.99 }) => {
    const created = await fq('/api/payments/new', { method: 'POST', body });
    expect(created.status).toBe(201);
    return created.json;
  };

  describe('FlexiQash', () => {
    it('answers 401 {"message":"Unauthenticated."} without or with a wrong token', async () => {
      for (const token of [undefined, 'wrong']) {
        const response = await call(`${sandboxes.flexiqashUrl}/api/payments`, { token });
        expect(response.status).toBe(401);
        expect(response.json).toEqual({ message: 'Unauthenticated.' });
      }
    });

    it('creates a payment shaped as the document, echoing the amount as a JSON number', async () => {
      const payment = await newFlexiqashPayment({
        name: 'Membership',
        amount: 123.99,
        payer: { name: 'John Smith', email: 'john@example.com', reference: 'cust-1' },
      });
      expect(payment).toEqual({
        guid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        name: 'Membership',
        amount: 123.99,
        link: `${sandboxes.flexiqashUrl}/payment/${payment.guid}/request`,
        payee: { guid: expect.any(String), name: 'Sandbox Merchant Inc', reference: 'Membership' },
        payer: { name: 'John Smith', email: 'john@example.com', reference: 'cust-1' },
      });
      expect((await newFlexiqashPayment({ name: 'No payer', amount: 5 })).payer).toBeNull();
    });

    it('rejects an invalid body with a Laravel-style 422', async () => {
      const missing = await fq('/api/payments/new', { method: 'POST', body: { amount: -1 } });
      expect(missing.status).toBe(422);
      expect(missing.json).toEqual({
        message: 'The name field is required. (and 1 more error)',
        errors: { name: ['The name field is required.'], amount: ['The amount field must be greater than 0.'] },
      });
      const malformed = await fq('/api/payments/new', { method: 'POST', body: '{not json' });
      expect(malformed.status).toBe(422);
      expect(malformed.json.errors).toHaveProperty('name');
    });

    it('views, lists, updates, archives and deletes; unknown guids get a plain-text 404', async () => {
      const payment = await newFlexiqashPayment();
      const path = `/api/payments/${payment.guid}`;

      expect((await fq(`${path}/view`)).json).toEqual(payment);
      expect((await fq('/api/payments')).json).toContainEqual(payment);

      const updated = await fq(`${path}/update`, { method: 'PATCH', body: { name: 'Gold membership', amount: 99.5 } });
      expect(updated).toMatchObject({ status: 200, json: { success: true } });
      expect((await fq(`${path}/view`)).json).toMatchObject({ name: 'Gold membership', amount: 99.5 });
      // The document's own example sends a JSON content type with no body.
      expect((await fq(`${path}/update`, { method: 'PATCH', body: '' })).status).toBe(200);

      expect((await fq(`${path}/archive`, { method: 'PATCH' })).json).toEqual({ success: true });
      expect((await fq(`${path}/view`)).status).toBe(200);
      expect((await fq('/api/payments')).json.map((entry: { guid: string }) => entry.guid)).toContain(payment.guid);
      expect((await fq(`${path}/unarchive`, { method: 'PATCH' })).json).toEqual({ success: true });

      const deleted = await fq(`${path}/delete`, { method: 'DELETE' });
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      for (const [method, suffix] of [['GET', 'view'], ['PATCH', 'update'], ['DELETE', 'delete'], ['PATCH', 'archive'], ['GET', 'transactions']]) {
        const missing = await fq(`${path}/${suffix}`, { method });
        expect(missing.status).toBe(404);
        expect(missing.contentType).toMatch(/^text\/plain/);
        expect(missing.text).toBe('Payment not found');
      }
      expect((await fetch(payment.link)).status).toBe(404);
    });

    it('checkout Pay records an approved transaction and sends a signed webhook', async () => {
      const payment = await newFlexiqashPayment({ name: 'Pay me', amount: 10.5, payer: { name: 'Ann', email: 'ann@example.com' } });
      const page = await fetch(payment.link);
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(html).toContain(`action="/payment/${payment.guid}/pay"`);
      expect(html).toContain(`action="/payment/${payment.guid}/decline"`);

      const paid = await submitForm(`${sandboxes.flexiqashUrl}/payment/${payment.guid}/pay`);
      expect(paid.status).toBe(200);
      expect(await paid.text()).toContain('Payment approved');

      const transactions = (await fq(`/api/payments/${payment.guid}/transactions`)).json;
      expect(transactions).toEqual([
        {
          guid: expect.any(String),
          payer: { payer_email: 'ann@example.com', payer_name: 'Ann', payer_reference: 'Pay me' },
          payee: { payee_reference: 'Pay me' },
          amount_defined: 10.5,
          is_paid: true,
          paid_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
          status: { code: 'success', message: 'APPROVED' },
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
        },
      ]);

      const [delivery] = await receiver.waitFor((json) => json.paymentReference === payment.guid, 1);
      expect(delivery.path).toBe('/webhooks/flexiqash');
      expect(delivery.headers['content-type']).toBe('application/json');
      const expected = createHmac('sha256', WEBHOOK_SECRET).update(delivery.body).digest('hex');
      expect(delivery.headers['x-flexiqash-signature']).toBe(`sha256=${expected}`);
      expect(JSON.parse(delivery.body.toString('utf8'))).toEqual({
        paymentReference: payment.guid,
        transaction: { amount: 10.5, reference: transactions[0].guid, status: 'success', statusMessage: 'Payment Accepted' },
      });

      const again = await submitForm(`${sandboxes.flexiqashUrl}/payment/${payment.guid}/pay`);
      expect(again.status).toBe(409);
      expect((await fq(`/api/payments/${payment.guid}/transactions`)).json).toHaveLength(1);
    });

    it('checkout Decline records a failed transaction and says so in the webhook', async () => {
      const payment = await newFlexiqashPayment({ name: 'Decline me', amount: 7 });
      expect((await submitForm(`${sandboxes.flexiqashUrl}/payment/${payment.guid}/decline`)).status).toBe(200);
      const [transaction] = (await fq(`/api/payments/${payment.guid}/transactions`)).json;
      expect(transaction).toMatchObject({ is_paid: false, paid_at: null, status: { code: 'failed', message: 'DECLINED' } });
      const [delivery] = await receiver.waitFor((json) => json.paymentReference === payment.guid, 1);
      expect(JSON.parse(delivery.body.toString('utf8')).transaction).toMatchObject({ status: 'failed', statusMessage: 'Payment Declined' });
    });

    it('retries a failing webhook: two failures then success is exactly three attempts', async () => {
      const payment = await newFlexiqashPayment({ name: 'Retry', amount: 1 });
      receiver.failures = 2;
      const since = new Date().toISOString();
      await submitForm(`${sandboxes.flexiqashUrl}/payment/${payment.guid}/pay`);
      const mine = (json: any) => json.paymentReference === payment.guid;
      await receiver.waitFor(mine, 3);
      // The sandbox logged the third attempt as answered 2xx: a delivered webhook is never retried.
      await until('the sandbox to log the delivered attempt', async () => (await webhookLog()).filter((d) => d.at >= since), (log) => log.some((d) => d.attempt === 3 && d.status === 200));
      const attempts = receiver.matching(mine);
      expect(attempts).toHaveLength(3);
      expect(new Set(attempts.map((attempt) => attempt.body.toString('utf8'))).size).toBe(1);
    });

    it('gives up after one attempt and three retries', async () => {
      const payment = await newFlexiqashPayment({ name: 'Never delivered', amount: 1 });
      receiver.failures = 100;
      const since = new Date().toISOString();
      await submitForm(`${sandboxes.flexiqashUrl}/payment/${payment.guid}/pay`);
      const mine = (json: any) => json.paymentReference === payment.guid;
      await receiver.waitFor(mine, 4);
      // The sandbox logged the fourth attempt: after the last one nothing is scheduled.
      await until('the sandbox to log the last attempt', async () => (await webhookLog()).filter((d) => d.at >= since), (log) => log.some((d) => d.attempt === 4));
      expect(receiver.matching(mine)).toHaveLength(4);
    });
  });

  describe('Flashpay', () => {
    const paymentBody = (reference: string, extra: object = {}) => ({
      amount: 1080000,
      currency: 'NGN',
      reference,
      description: 'Watch purchase',
      ...extra,
    });

    it('answers 401 {"message":"Unauthorized"} without or with a wrong token', async () => {
      for (const token of [undefined, 'wrong']) {
        const response = await call(`${sandboxes.flashpayUrl}/api/v1/payment`, { token });
        expect(response).toMatchObject({ status: 401, json: { message: 'Unauthorized' } });
      }
    });

    it('creates a payment shaped as the document and reads it back', async () => {
      const created = await fp('/payment', { method: 'POST', body: paymentBody('fp-create') });
      expect(created.status).toBe(201);
      const payment = created.json;
      expect(payment).toEqual({
        id: expect.stringMatching(/^[a-z][a-z0-9]{23}$/),
        amount: 1080000,
        ownerId: expect.any(String),
        currency: 'NGN',
        reference: 'fp-create',
        originBankId: null,
        originAccount: null,
        originAccountName: null,
        destinationBankId: 'sbxbank000000000000000001',
        destinationAccount: '0000000001',
        destinationAccountName: 'Sandbox Merchant Ltd',
        description: 'Watch purchase',
        status: 'OPEN',
        callbackUrl: `${sandboxes.flashpayUrl}/checkout/${payment.id}`,
        statusWebhook: null,
        createdAt: expect.any(String),
        updatedAt: null,
        expiresAt: expect.any(String),
      });
      expect(Date.parse(payment.expiresAt) - Date.parse(payment.createdAt)).toBe(3_600_000);
      expect((await fp(`/payment/${payment.id}`)).json).toEqual(payment);
      expect(await fp('/payment/doesnotexist')).toMatchObject({ status: 404, json: { message: 'Payment not found' } });
    });

    it('validates the body and refuses a duplicate reference', async () => {
      const invalid = await fp('/payment', { method: 'POST', body: paymentBody('fp-bad', { amount: 10.5, currency: 'ngn' }) });
      expect(invalid.status).toBe(400);
      expect(invalid.json.errors.map((error: { field: string }) => error.field)).toEqual(['amount', 'currency']);
      expect((await fp('/payment', { method: 'POST', body: '{oops' })).status).toBe(400);
      await fp('/payment', { method: 'POST', body: paymentBody('fp-dup') });
      expect(await fp('/payment', { method: 'POST', body: paymentBody('fp-dup') })).toMatchObject({
        status: 409,
        json: { message: 'Duplicate reference' },
      });
    });

    it('lists newest first and filters by reference', async () => {
      const first = (await fp('/payment', { method: 'POST', body: paymentBody('fp-list-1') })).json;
      const second = (await fp('/payment', { method: 'POST', body: paymentBody('fp-list-2') })).json;
      const ids = (await fp('/payment')).json.data.map((payment: { id: string }) => payment.id);
      expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
      expect((await fp('/payment?reference=fp-list-1')).json).toEqual({ data: [first] });
    });

    it('checkout Pay marks the payment PAID and posts it to its statusWebhook', async () => {
      const statusWebhook = `${receiver.url}/webhooks/flashpay`;
      const payment = (await fp('/payment', { method: 'POST', body: paymentBody('fp-pay', { statusWebhook }) })).json;
      expect(await (await fetch(payment.callbackUrl)).text()).toContain(`action="/checkout/${payment.id}/pay"`);
      expect((await submitForm(`${sandboxes.flashpayUrl}/checkout/${payment.id}/pay`)).status).toBe(200);
      expect((await fp(`/payment/${payment.id}`)).json).toMatchObject({ status: 'PAID', updatedAt: expect.any(String) });
      const [delivery] = await receiver.waitFor((json) => json.id === payment.id, 1);
      expect(delivery.path).toBe('/webhooks/flashpay');
      expect(JSON.parse(delivery.body.toString('utf8'))).toMatchObject({ id: payment.id, status: 'PAID' });
      // A bare POST (no form body) works as well as the page's form.
      expect((await fetch(`${sandboxes.flashpayUrl}/checkout/${payment.id}/decline`, { method: 'POST' })).status).toBe(409);
    });

    it('lists beneficiaries and settles payouts (amounts ending in 13 fail)', async () => {
      const beneficiaries = (await fp('/beneficiaries')).json.data;
      expect(beneficiaries).toHaveLength(3);
      expect(Object.keys(beneficiaries[0]).sort()).toEqual(['accountName', 'accountNumber', 'bankId', 'id', 'name']);

      const good = await fp('/payout', { method: 'POST', body: { amount: 5000, currency: 'NGN', reference: 'po-1', beneficiaryId: beneficiaries[0].id } });
      expect(good.status).toBe(201);
      expect(good.json).toMatchObject({ status: 'PENDING', beneficiaryId: beneficiaries[0].id, destinationAccount: beneficiaries[0].accountNumber });
      const bad = await fp('/payout', {
        method: 'POST',
        body: { amount: 5013, currency: 'NGN', reference: 'po-2', destinationBankId: 'b', destinationAccount: '1', destinationAccountName: 'X' },
      });
      expect(bad.json).toMatchObject({ status: 'PENDING', beneficiaryId: null });

      const settled = (id: string) => until(`payout ${id} to settle`, async () => (await fp(`/payout/${id}`)).json.status, (status) => status !== 'PENDING');
      expect(await settled(good.json.id)).toBe('SUCCESSFUL');
      expect(await settled(bad.json.id)).toBe('FAILED');
      expect((await fp('/payout', { method: 'POST', body: { amount: 1, currency: 'NGN', reference: 'po-3', beneficiaryId: 'nobody' } })).status).toBe(404);
      expect(await fp('/payout/nothing')).toMatchObject({ status: 404, json: { message: 'Payout not found' } });
    });

    it('can be started alone under another base path', async () => {
      const app = buildFlashpaySandbox({ apiToken: 'solo', basePath: '/v9' });
      await app.listen({ host: '127.0.0.1', port: 0 });
      try {
        const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
        expect((await call(`${url}/v9/beneficiaries`, { token: 'solo' })).status).toBe(200);
        expect((await call(`${url}/api/v1/beneficiaries`, { token: 'solo' })).status).toBe(404);
      } finally {
        await app.close();
      }
    });
  });

  describe('fault injection', () => {
    const control = (base: () => string, path: string, method = 'GET', body?: unknown) => call(`${base()}/__sandbox${path}`, { method, body });
    const flexiqash = () => sandboxes.flexiqashUrl;

    afterEach(async () => {
      await control(flexiqash, '/faults', 'DELETE');
    });

    it('delays API answers but not the control routes', async () => {
      expect((await control(flexiqash, '/faults', 'PUT', { latencyMs: 200 })).json).toMatchObject({ latencyMs: 200 });
      let started = Date.now();
      expect((await fq('/api/payments')).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      started = Date.now();
      await control(flexiqash, '/requests');
      expect(Date.now() - started).toBeLessThan(150);
    });

    it('fails the next N calls without doing anything', async () => {
      const before = (await fq('/api/payments')).json.length;
      await control(flexiqash, '/faults', 'PUT', { failNext: 2, failStatus: 503 });
      for (let i = 0; i < 2; i += 1) {
        expect(await fq('/api/payments/new', { method: 'POST', body: { name: 'x', amount: 1 } })).toMatchObject({
          status: 503,
          json: { message: 'Injected failure' },
        });
      }
      expect((await fq('/api/payments')).json).toHaveLength(before);
    });

    it('hangs API calls until the faults are cleared, then cuts them off', async () => {
      const before = (await control(flexiqash, '/requests')).json.counts['GET /api/payments'] ?? 0;
      await control(flexiqash, '/faults', 'PUT', { hang: true });
      let settled = false;
      const hung = fq('/api/payments').finally(() => {
        settled = true;
      });
      // The call has reached the sandbox, and a later call (the control route) is answered while it still hangs.
      await until('the hung call to arrive', async () => (await control(flexiqash, '/requests')).json.counts['GET /api/payments'] ?? 0, (n) => n > before);
      expect(settled).toBe(false);
      await control(flexiqash, '/faults', 'DELETE');
      await expect(hung).rejects.toThrow();
      expect((await fq('/api/payments')).status).toBe(200);
    });

    it('rejects unknown or invalid faults', async () => {
      expect((await control(flexiqash, '/faults', 'PUT', { latency: 5 })).status).toBe(400);
      expect((await control(flexiqash, '/faults', 'PUT', { failStatus: 200 })).status).toBe(400);
    });

    it('closes at once even while a call is delayed', async () => {
      const app = buildFlexiqashSandbox({ apiToken: 'solo', latencyMs: 5000, webhookUrl: '' });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const delayed = call(`${url}/api/payments`, { token: 'solo' });
      delayed.catch(() => undefined);
      // Closed while the call is being delayed: it has arrived.
      await until('the delayed call to arrive', async () => (await call(`${url}/__sandbox/requests`)).json.counts['GET /api/payments'] ?? 0, (n) => n > 0);
      const started = Date.now();
      await app.close();
      expect(Date.now() - started).toBeLessThan(1000);
      await expect(delayed).rejects.toThrow();
    });

    it('does not start when a port is taken', async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      try {
        const port = (taken.address() as AddressInfo).port;
        await expect(startSandboxes({ flexiqashPort: port, flashpayPort: 0 })).rejects.toThrow(/EADDRINUSE/);
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    });

    it('logs API calls and forgets everything on state reset', async () => {
      await control(flexiqash, '/state', 'DELETE');
      await newFlexiqashPayment();
      await fq('/api/payments');
      const log = (await control(flexiqash, '/requests')).json;
      expect(log.data.map((entry: { method: string; path: string }) => `${entry.method} ${entry.path}`)).toEqual([
        'POST /api/payments/new',
        'GET /api/payments',
      ]);
      expect(log.counts).toEqual({ 'POST /api/payments/new': 1, 'GET /api/payments': 1 });

      expect((await control(flexiqash, '/state', 'DELETE')).status).toBe(204);
      expect((await fq('/api/payments')).json).toEqual([]);
      const flashpayLog = await control(() => sandboxes.flashpayUrl, '/requests');
      expect(flashpayLog.json.counts['POST /api/v1/payment']).toBeGreaterThan(0);
    });
  });
});
