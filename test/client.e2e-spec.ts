import {
  ERROR_TYPES,
  EVENT_TYPES,
  Operation,
  PAYMENT_STATUSES,
  PaymentsApiError,
  PaymentsClient,
  PAYOUT_STATUSES,
  PROVIDER_NAMES,
  QUERY_PARAM_FIELDS,
  REQUEST_BODY_FIELDS,
  RESPONSE_FIELDS,
  RetryInfo,
  ROUTES,
  SCOPES,
  verifyWebhook,
} from '@app/client';
import { runExample } from '../examples/checkout-service/index';
import { SCOPES as GATEWAY_SCOPES } from '../libs/auth/src/scopes';
import { EVENT_TYPES as GATEWAY_EVENT_TYPES } from '../libs/outbox/src/event-types';
import { newWebhookSecret } from '../libs/outbox/src/signature';
import { rejection } from './support/client';
import { AppProcess, freePort, startWorker } from './support/processes';
import { Receiver } from './support/receiver';
import { clearFaults, sandboxCalls, setFaults } from './support/sandbox';
import { until } from './support/services';
import { startStack, Stack } from './support/stack';

/** How often FlexiQash's sandbox was asked to create a payment so far. */
const providerCreates = (stack: Stack) => sandboxCalls(stack.sandboxes.flexiqashUrl, 'POST /api/payments/new');

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))),
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// The OpenAPI 3 document, as much of it as the contract test reads.

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  allOf?: Schema[];
}
interface OperationObject {
  parameters?: Array<{ name: string; in: string; $ref?: string }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, Schema> };
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const refName = (schema: Schema | undefined) => schema?.$ref?.replace('#/components/schemas/', '');

/** What each operation answers, in the document's schema names: `Page<X>` is `{data: X[], nextCursor}`, `List<X>` is `{data: X[]}`. */
const ANSWERS: Record<Operation, string> = {
  createPayment: 'Payment',
  listPayments: 'Page<Payment>',
  getPayment: 'Payment',
  updatePayment: 'Payment',
  cancelPayment: 'Payment',
  archivePayment: 'Payment',
  unarchivePayment: 'Payment',
  listPaymentTransactions: 'List<Transaction>',
  refreshPayment: 'Payment',
  createPayout: 'Payout',
  listPayouts: 'Page<Payout>',
  getPayout: 'Payout',
  refreshPayout: 'Payout',
  listBeneficiaries: 'List<Beneficiary>',
  listProviders: 'List<ProviderInfo>',
  createApiKey: 'CreatedApiKey',
  listApiKeys: 'List<ApiKey>',
  revokeApiKey: 'None',
  createWebhookEndpoint: 'CreatedWebhookEndpoint',
  listWebhookEndpoints: 'List<WebhookEndpoint>',
  getWebhookEndpoint: 'WebhookEndpoint',
  updateWebhookEndpoint: 'WebhookEndpoint',
  deleteWebhookEndpoint: 'None',
  listWebhookDeliveries: 'List<DeliveryAttempt>',
  listEvents: 'Page<Event>',
  getEvent: 'Event',
  redeliverEvent: 'RedeliverResult',
  rotateWebhookSecret: 'RotatedWebhookEndpoint',
  recoverWebhookEndpoint: 'RecoverResult',
  listDeadLetters: 'DeadLetterPage',
  listEventAttempts: 'List<EventAttempt>',
};

/**
 * Query parameters the document lists that the client leaves out on purpose, with why. Deliveries share the
 * gateway's PageQuery DTO, so the document offers `cursor`, but the route does not page (it takes `limit` only).
 */

describe('@paygw/client against the real gateway', () => {
  let stack: Stack;
  let worker: AppProcess;
  let key: string;
  let client: PaymentsClient;

  beforeAll(async () => {
    stack = await startStack();
    worker = await startWorker({ ...stack.env, OUTBOX_SWEEP_INTERVAL_MS: '200' });
    key = await stack.newKey();
    client = stack.clientFor(key);
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
  });

  describe('contract: the client and the gateway’s OpenAPI document agree', () => {
    let doc: OpenApiDocument;
    const schema = (name: string): Schema => {
      const found = doc.components.schemas[name];
      if (!found) throw new Error(`the OpenAPI document has no components.schemas.${name}`);
      return found;
    };
    const fieldsOf = (name: string) => {
      const { properties = {}, required = [] } = schema(name);
      return { fields: Object.keys(properties).sort(), required: [...required].sort() };
    };
    const clientFields = (spec: Readonly<Record<string, true | 'optional'>>) => ({
      fields: Object.keys(spec).sort(),
      required: Object.keys(spec).filter((k) => spec[k] === true).sort(),
    });
    const v1Operations = () =>
      Object.entries(doc.paths)
        .filter(([path]) => path.startsWith('/v1/'))
        .flatMap(([path, item]) =>
          Object.keys(item)
            .filter((m) => HTTP_METHODS.includes(m))
            .map((m) => ({ key: `${m.toUpperCase()} ${path}`, operation: item[m] })),
        );
    const operationOf = (op: Operation) => doc.paths[ROUTES[op].path]?.[ROUTES[op].method.toLowerCase()];

    beforeAll(async () => {
      const response = await fetch(`${stack.url}/docs-json`);
      if (response.status === 404) throw new Error('GET /docs-json answered 404: this test awaits the OpenAPI document (@nestjs/swagger)');
      expect(response.status).toBe(200);
      doc = (await response.json()) as OpenApiDocument;
      expect(doc.openapi).toMatch(/^3\./);
    });

    it('every /v1 operation in the document has a client route, and every client route is in the document', () => {
      const documented = v1Operations().map((o) => o.key).sort();
      const client = Object.values(ROUTES).map((r) => `${r.method} ${r.path}`).sort();
      expect({ missingFromClient: documented.filter((k) => !client.includes(k)), missingFromDocument: client.filter((k) => !documented.includes(k)) }).toEqual({
        missingFromClient: [],
        missingFromDocument: [],
      });
    });

    it.each(Object.keys(RESPONSE_FIELDS))('the %s schema has exactly the client type’s fields, the same ones required', (name) => {
      expect(fieldsOf(name)).toEqual(clientFields(RESPONSE_FIELDS[name as keyof typeof RESPONSE_FIELDS]));
    });

    it('every operation answers the type the client returns', () => {
      const answers: Record<string, string> = {};
      for (const op of Object.keys(ROUTES) as Operation[]) {
        const responses = operationOf(op)?.responses ?? {};
        const success = Object.entries(responses).find(([status]) => /^2\d\d$/.test(status));
        const body = success?.[1].content?.['application/json']?.schema;
        let answer = 'None';
        if (body?.type === 'array') answer = `Array<${refName(body.items)}>`;
        else if (body?.$ref) {
          const name = refName(body)!;
          const { properties = {} } = schema(name);
          const wrapped = refName(properties.data?.items);
          answer = wrapped && properties.nextCursor ? `Page<${wrapped}>` : wrapped && Object.keys(properties).length === 1 ? `List<${wrapped}>` : name;
        }
        answers[op] = answer;
      }
      expect(answers).toEqual(ANSWERS);
    });

    it('every request body has exactly the client input’s fields, the same ones required', () => {
      const documented: Record<string, unknown> = {};
      const client: Record<string, unknown> = {};
      for (const op of Object.keys(ROUTES) as Operation[]) {
        const body = operationOf(op)?.requestBody?.content?.['application/json']?.schema;
        if (body) documented[op] = fieldsOf(refName(body) ?? '');
        const spec = REQUEST_BODY_FIELDS[op];
        if (spec) client[op] = clientFields(spec);
      }
      expect(client).toEqual(documented);
    });

    it('every operation takes exactly the client’s query parameters', () => {
      const documented: Record<string, string[]> = {};
      const client: Record<string, string[]> = {};
      for (const op of Object.keys(ROUTES) as Operation[]) {
        const names = (operationOf(op)?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
        if (names.length) documented[op] = names.sort();
        const spec = QUERY_PARAM_FIELDS[op];
        if (spec) client[op] = Object.keys(spec).sort();
      }
      expect(client).toEqual(documented);
    });

    it('the enumerations agree with the document and with the gateway’s own lists', () => {
      const enumOf = (name: string, field: string) => {
        const property = schema(name).properties![field];
        return [...((property.enum ?? property.items?.enum) as string[])].sort();
      };
      expect(enumOf('Payment', 'status')).toEqual([...PAYMENT_STATUSES].sort());
      expect(enumOf('Payment', 'provider')).toEqual([...PROVIDER_NAMES].sort());
      expect(enumOf('Payout', 'status')).toEqual([...PAYOUT_STATUSES].sort());
      expect(enumOf('Event', 'type')).toEqual([...EVENT_TYPES].sort());
      expect(enumOf('ApiKey', 'scopes')).toEqual([...SCOPES].sort());
      expect(enumOf('ErrorBody', 'type')).toEqual([...ERROR_TYPES].sort());
      expect([...EVENT_TYPES]).toEqual([...GATEWAY_EVENT_TYPES]);
      expect([...SCOPES]).toEqual([...GATEWAY_SCOPES]);
    });
  });

  it('payments: create, get, update, list, listAll, archive, unarchive, pay, refresh, transactions, cancel', async () => {
    const reference = `client-${Date.now()}`;
    const payment = await client.payments.create({
      amount: 5000,
      currency: 'USD',
      description: 'Client test',
      reference,
      payer: { name: 'Ada Obi', email: 'ada@example.com' },
      metadata: { order: '1' },
    });
    expect(payment).toMatchObject({ object: 'payment', provider: 'flexiqash', amount: 5000, currency: 'USD', status: 'pending', reference, metadata: { order: '1' } });
    expect(payment.id).toMatch(/^pay_/);
    expect(await client.payments.get(payment.id)).toEqual(payment);

    const updated = await client.payments.update(payment.id, { description: 'Client test, changed', metadata: { order: '2' } });
    expect(updated).toMatchObject({ id: payment.id, description: 'Client test, changed', metadata: { order: '2' } });

    const page = await client.payments.list({ reference, limit: 10 });
    expect(page).toEqual({ data: [updated], nextCursor: null });

    expect(await client.payments.archive(payment.id)).toMatchObject({ archived: true });
    expect((await client.payments.list({ reference, archived: true })).data.map((p) => p.id)).toEqual([payment.id]);
    expect(await client.payments.unarchive(payment.id)).toMatchObject({ archived: false });

    expect((await fetch(payment.checkoutUrl!.replace(/\/request$/, '/pay'), { method: 'POST' })).status).toBe(200);
    expect(await until(async () => (await client.payments.refresh(payment.id)).status === 'succeeded', 10_000)).toBe(true);
    const transactions = await client.payments.transactions(payment.id);
    expect(transactions.data).toEqual([expect.objectContaining({ object: 'transaction', status: 'succeeded', amount: 5000, currency: 'USD' })]);

    const other = await client.payments.create({ amount: 700, currency: 'USD', description: 'To cancel' });
    expect(await client.payments.cancel(other.id)).toMatchObject({ id: other.id, status: 'cancelled' });
    // DELETE again (what a retry after a lost answer does): the same cancelled payment.
    expect(await client.payments.cancel(other.id)).toMatchObject({ id: other.id, status: 'cancelled' });

    // listAll walks every page: the same payments, in the same order, as one big page.
    const all: string[] = [];
    for await (const p of client.payments.listAll({ limit: 1 })) all.push(p.id);
    expect(all).toEqual((await client.payments.list({ limit: 100 })).data.map((p) => p.id));
    expect(all).toEqual(expect.arrayContaining([payment.id, other.id]));
  });

  it('payouts, beneficiaries and providers', async () => {
    const { data: providers } = await client.providers.list();
    expect(providers.map((p) => p.name).sort()).toEqual(['flashpay', 'flexiqash']);
    expect(providers.find((p) => p.name === 'flexiqash')).toMatchObject({ default: true, configured: true });

    const beneficiaries = await client.beneficiaries.list({ provider: 'flashpay' });
    expect(beneficiaries.data.length).toBeGreaterThan(0);
    const payout = await client.payouts.create({ amount: 250000, currency: 'NGN', beneficiaryId: beneficiaries.data[0].id, reference: `po-${Date.now()}` });
    expect(payout).toMatchObject({ object: 'payout', provider: 'flashpay', amount: 250000, currency: 'NGN', status: 'pending' });
    expect(payout.destination).toMatchObject({ beneficiaryId: beneficiaries.data[0].id });
    expect(await client.payouts.get(payout.id)).toEqual(payout);
    expect((await client.payouts.list({ limit: 5 })).data[0]).toEqual(payout);
    const ids: string[] = [];
    for await (const p of client.payouts.listAll({ limit: 1 })) ids.push(p.id);
    expect(ids).toContain(payout.id);
    expect(await until(async () => (await client.payouts.refresh(payout.id)).status === 'succeeded', 10_000)).toBe(true);
  });

  it('api keys: create, list, revoke (then the key answers 401)', async () => {
    const created = await stack.client.apiKeys.create({ name: 'client test key', scopes: ['payments:read'] });
    expect(created).toMatchObject({ name: 'client test key', scopes: ['payments:read'] });
    expect(created.key).toMatch(/^sk_/);
    const listed = (await stack.client.apiKeys.list()).data.find((k) => k.id === created.id);
    expect(listed).toEqual({ id: created.id, name: created.name, scopes: created.scopes, keyPrefix: created.key.slice(0, 7), createdAt: created.createdAt });

    const keyed = stack.clientFor(created.key);
    await expect(keyed.payments.list()).resolves.toMatchObject({ data: [] });
    await expect(stack.client.apiKeys.revoke(created.id)).resolves.toBeUndefined();
    expect(await rejection(keyed.payments.list())).toMatchObject({ status: 401, type: 'authentication', attempts: 1 });
    expect(await rejection(stack.client.apiKeys.revoke(created.id))).toMatchObject({ status: 404, type: 'not_found' });
  });

  it('webhook endpoints and events: create, list, get, update, redeliver (verified with verifyWebhook), deliveries, delete', async () => {
    const receiver = await Receiver.start(newWebhookSecret());
    try {
      const url = `${receiver.url}/hooks/payments`;
      const endpoint = await client.webhookEndpoints.create({ url, events: ['payment.created'], description: 'client test' });
      expect(endpoint).toMatchObject({ object: 'webhook_endpoint', url, events: ['payment.created'], enabled: true });
      expect(endpoint.secret).toMatch(/^whsec_/);
      receiver.useSecret(endpoint.secret);
      const { secret, ...shown } = endpoint;
      expect(secret).toBeDefined();
      expect(await client.webhookEndpoints.get(endpoint.id)).toEqual(shown);
      expect((await client.webhookEndpoints.list()).data.map((e) => e.id)).toContain(endpoint.id);

      const payment = await client.payments.create({ amount: 900, currency: 'USD', description: 'Event source' });
      await receiver.waitFor('payment.created', () => receiver.received.length > 0, 10_000);
      const first = receiver.received[0];
      const verified = verifyWebhook(first.rawBody, first.headers, endpoint.secret);
      expect(verified).toMatchObject({ type: 'payment.created', data: { id: payment.id } });

      const events = await client.events.list({ type: 'payment.created', limit: 100 });
      const event = events.data.find((e) => e.data.id === payment.id)!;
      expect(event).toMatchObject({ id: verified.id, object: 'event', type: 'payment.created' });
      expect(await client.events.get(event.id)).toEqual(event);
      const walked: string[] = [];
      for await (const e of client.events.listAll({ limit: 2 })) walked.push(e.id);
      expect(walked).toContain(event.id);

      const again = await client.events.redeliver(event.id, { endpointId: endpoint.id });
      expect(again).toEqual({ eventId: event.id, deliveries: [{ endpointId: endpoint.id, status: 'pending' }] });
      await receiver.waitFor('the redelivery', () => receiver.received.length === 2, 10_000);
      expect(verifyWebhook(receiver.received[1].rawBody, receiver.received[1].headers, endpoint.secret)).toEqual(verified);
      expect(await until(async () => (await client.webhookEndpoints.deliveries(endpoint.id)).data.filter((d) => d.status === 'succeeded').length === 2)).toBe(true);
      expect((await client.webhookEndpoints.deliveries(endpoint.id, { limit: 1 })).data).toEqual([expect.objectContaining({ eventId: event.id, responseStatus: 200 })]);

      const updated = await client.webhookEndpoints.update(endpoint.id, { enabled: false, description: 'paused' });
      expect(updated).toMatchObject({ id: endpoint.id, enabled: false, description: 'paused' });
      await expect(client.webhookEndpoints.delete(endpoint.id)).resolves.toBeUndefined();
      expect(await rejection(client.webhookEndpoints.get(endpoint.id))).toMatchObject({ status: 404, type: 'not_found' });
    } finally {
      await receiver.close();
    }
  });

  it('errors are typed PaymentsApiError with the gateway’s type, code and requestId', async () => {
    const notFound = await rejection(client.payments.get('pay_00000000000000000000000000', { requestId: 'client-test-404' }));
    expect(notFound).toMatchObject({ status: 404, type: 'not_found', code: 'resource_not_found', requestId: 'client-test-404', attempts: 1, method: 'GET' });
    expect(notFound.message).toMatch(/not found/i);

    const invalid = await rejection(client.payments.create({ amount: -5, currency: 'usd', description: '' }));
    expect(invalid).toMatchObject({ status: 422, type: 'invalid_request', attempts: 1 });
    expect(invalid.requestId).toEqual(expect.any(String));
    expect(invalid.fieldProblems.map((p) => p.field)).toEqual(expect.arrayContaining(['amount', 'currency', 'description']));

    const unauthenticated = await rejection(stack.clientFor('sk_not_a_key').payments.list());
    expect(unauthenticated).toMatchObject({ status: 401, type: 'authentication', attempts: 1 });
    expect(unauthenticated.requestId).toEqual(expect.any(String));

    const readOnly = stack.clientFor(await stack.newKey(['payments:read']));
    expect(await rejection(readOnly.payments.create({ amount: 100, currency: 'USD', description: 'x' }))).toMatchObject({ status: 403, type: 'permission' });

    const flashpay = await client.payments.create({ amount: 100, currency: 'NGN', description: 'Flashpay', provider: 'flashpay' });
    const capability = await rejection(client.payments.update(flashpay.id, { description: 'y' }));
    expect(capability).toMatchObject({ status: 422, type: 'capability_not_supported' });

    const nowhere = new PaymentsClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, apiKey: key, retries: 1, retryBaseDelayMs: 10 });
    const offline = await rejection(nowhere.providers.list());
    expect(offline).toMatchObject({ status: 0, type: 'network_error', code: 'ECONNREFUSED', attempts: 2, requestId: null });
  });

  it('a create whose answer came too late is retried with the same Idempotency-Key: one payment, the first answer', async () => {
    const reference = `slow-${Date.now()}`;
    const before = await providerCreates(stack);
    const retries: RetryInfo[] = [];
    const impatient = stack.clientFor(key, { timeoutMs: 300, retries: 8, onRetry: (info) => retries.push(info) });
    // FlexiQash takes 700 ms: the gateway waits (its timeout is 2 s), the client gives up on the first attempt.
    await setFaults(stack.sandboxes.flexiqashUrl, { latencyMs: 700 });
    let payment;
    try {
      payment = await impatient.payments.create({ amount: 4200, currency: 'USD', description: 'Slow provider', reference });
    } finally {
      await clearFaults(stack.sandboxes.flexiqashUrl);
    }
    expect(retries[0].error).toMatchObject({ type: 'timeout', status: 0 });
    // Later attempts found the first still running (409 idempotency_in_progress) until its answer was stored.
    // The client timed out after 300 ms and the provider answers after 700 ms: at least one retry arrives while
    // the first attempt still runs, and every one of them is refused 409 idempotency_in_progress.
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries.slice(1).map((r) => `${r.error.status} ${r.error.code}`)).toEqual(retries.slice(1).map(() => '409 idempotency_in_progress'));
    expect(new Set(retries.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(payment).toMatchObject({ reference, status: 'pending', amount: 4200 });
    expect((await client.payments.list({ reference })).data.map((p) => p.id)).toEqual([payment.id]);
    expect((await providerCreates(stack)) - before).toBe(1);
  });

  it('a create the provider failed with 503 is answered 502 and stored for its key: the retry gets the replay, not a second payment', async () => {
    const reference = `lost-${Date.now()}`;
    const idempotencyKey = `order-${reference}`;
    const before = await providerCreates(stack);
    const retries: RetryInfo[] = [];
    const retrying = stack.clientFor(key, { onRetry: (info) => retries.push(info) });
    await setFaults(stack.sandboxes.flexiqashUrl, { failNext: 1, failStatus: 503 });
    const error = await rejection(retrying.payments.create({ amount: 888, currency: 'USD', description: 'Lost create', reference }, { idempotencyKey }));
    await clearFaults(stack.sandboxes.flexiqashUrl);

    // The provider's 5xx leaves the outcome unknown, so the gateway keeps the payment pending (flagged for
    // reconciliation) and stores its 502 for the key. The client retried 5xx once with the same key, got that
    // stored answer replayed (Idempotent-Replayed: true), and stopped: a replay would only repeat.
    expect(retries).toHaveLength(1);
    expect(retries[0].error).toMatchObject({ status: 502, replayed: false, idempotencyKey });
    expect(error).toMatchObject({ status: 502, type: 'provider_error', code: 'provider_server_error', replayed: true, attempts: 2, idempotencyKey });
    const paymentId = (error.details as { paymentId: string }).paymentId;
    expect(paymentId).toMatch(/^pay_/);
    expect((await providerCreates(stack)) - before).toBe(1);
    expect((await client.payments.list({ reference })).data.map((p) => p.id)).toEqual([paymentId]);
    expect(await client.payments.get(paymentId)).toMatchObject({ status: 'pending', providerPaymentId: null });

    // Retrying later with the same key (as the error's idempotencyKey invites) gets the same answer again; the
    // caller follows details.paymentId instead of creating another payment.
    const later = await rejection(stack.clientFor(key).payments.create({ amount: 888, currency: 'USD', description: 'Lost create', reference }, { idempotencyKey }));
    expect(later).toMatchObject({ status: 502, replayed: true, attempts: 1, details: { paymentId } });
    expect((await providerCreates(stack)) - before).toBe(1);
  });

  it('the example checkout service receives its verified payment.succeeded', async () => {
    const lines: string[] = [];
    const run = await runExample({ gatewayUrl: stack.url, apiKey: key, port: 0, log: (line) => lines.push(line) });
    try {
      expect(lines.join('\n')).toContain(run.checkoutUrl);
      expect(run.payment).toMatchObject({ status: 'pending', amount: 12399, currency: 'USD' });
      expect((await fetch(run.checkoutUrl.replace(/\/request$/, '/pay'), { method: 'POST' })).status).toBe(200);
      const event = await within(run.succeeded, 15_000, 'the example to receive payment.succeeded');
      expect(event).toMatchObject({ type: 'payment.succeeded', data: { id: run.payment.id, status: 'succeeded', amount: 12399 } });
      expect(event.id).toMatch(/^evt_/);
      expect(run.rejected).toEqual([]);
      expect(lines.some((line) => line.startsWith(`received payment.succeeded for ${run.payment.id}`))).toBe(true);
    } finally {
      await run.close();
    }
    expect(await rejection(client.webhookEndpoints.get(run.endpointId))).toMatchObject({ status: 404 });
  });
});

describe('@paygw/client under the gateway’s rate limit (2 requests per second per key)', () => {
  let stack: Stack;
  /** The limiter counts per wall-clock second: start a burst just after one begins, so it lands in one window. */
  const nextWindow = () => new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));

  beforeAll(async () => {
    stack = await startStack({ RATE_LIMIT_PER_SECOND: '2' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('retries 429 after Retry-After, for reads and for a create (same Idempotency-Key, one payment)', async () => {
    const key = await stack.newKey();
    await nextWindow();
    const retries: RetryInfo[] = [];
    const client = stack.clientFor(key, { onRetry: (info) => retries.push(info) });
    const reference = `limited-${Date.now()}`;
    // Two reads use up this second's window, so the create and the reads sent after them are refused first.
    await Promise.all([client.providers.list(), client.providers.list()]);
    expect(retries).toEqual([]);
    const [payment, ...reads] = await Promise.all([
      client.payments.create({ amount: 100, currency: 'USD', description: 'Rate limited', reference }),
      ...Array.from({ length: 3 }, () => client.providers.list()),
    ]);
    expect(reads.every((providers) => providers.data.length === 2)).toBe(true);
    expect(retries.length).toBeGreaterThanOrEqual(3);
    for (const retry of retries) {
      expect(retry.error).toMatchObject({ status: 429, type: 'rate_limited', retryAfterMs: 1000 });
      expect(retry.delayMs).toBeGreaterThanOrEqual(1000);
    }
    // The create was retried, with one Idempotency-Key on every attempt, and made one payment.
    const createRetries = retries.filter((r) => r.method === 'POST');
    expect(createRetries.length).toBeGreaterThanOrEqual(1);
    expect(new Set(createRetries.map((r) => r.idempotencyKey)).size).toBe(1);

    await nextWindow();
    expect((await client.payments.list({ reference })).data.map((p) => p.id)).toEqual([payment.id]);

    // Without retries the 429 reaches the caller, typed.
    await nextWindow();
    const once = stack.clientFor(key, { retries: 0 });
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => once.providers.list()));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as PaymentsApiError);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused[0]).toMatchObject({ status: 429, type: 'rate_limited', code: 'rate_limited', retryAfterMs: 1000, attempts: 1 });
    expect(refused[0].requestId).toEqual(expect.any(String));
  });
});
