import { CreatePaymentInput, Payment, PaymentsApiError, PaymentsClient } from '@app/client';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Client } from 'pg';
import { newWebhookSecret } from '../libs/outbox/src/signature';
import { lastResponse, rejection, responses } from './support/client';
import { call } from './support/http';
import { AppProcess, startWorker } from './support/processes';
import { Receiver } from './support/receiver';
import { sandboxCalls, setFaults } from './support/sandbox';
import { describeWithPrivateServices, PrivatePostgres, PrivateRedis, startPrivatePostgres, startPrivateRedis, until } from './support/services';
import { ADMIN_KEY, startStack, Stack } from './support/stack';
import { testDatabaseUrl } from './support/env';

const usd = (reference: string): CreatePaymentInput => ({ amount: 1500, currency: 'USD', description: 'Shutdown test', reference });
const DATABASE_URL = testDatabaseUrl();

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Whether the server at `url` still accepts TCP connections. */
function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Opens a connection and sends a request's first header lines only, so the server holds a connection with a request
 * under way (not idle, so a closing server keeps it); `finish` sends the rest and resolves with the answer's status.
 */
async function partialRequest(url: string, method: string, path: string, headers: Record<string, string>) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.write(`${method} ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}`);
  return {
    async finish(body: string): Promise<number> {
      socket.write(`content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      await ended;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      return status ? Number(status[1]) : 0;
    },
  };
}

describe('graceful shutdown', () => {
  it('SIGTERM during a burst: every request completes or is refused before it starts, and the process exits 0', async () => {
    const stack = await startStack();
    try {
      await setFaults(stack.sandboxes.flexiqashUrl, { latencyMs: 400 });
      // One attempt per call: a refusal must reach the test, not be retried.
      const client = stack.clientFor(ADMIN_KEY, { retries: 0 });
      const burst = Promise.allSettled(Array.from({ length: 30 }, () => client.payments.create(usd('sigterm-burst'))));
      // A request begun before the signal and completed after the gateway stopped accepting connections: it is
      // new to the gateway (it has not reached a route yet) and must be refused with 503, not run.
      const late = await partialRequest(stack.url, 'POST', '/v1/payments', { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' });
      // Requests are in flight once the provider has seen some of them.
      expect(await until(async () => (await sandboxCalls(stack.sandboxes.flexiqashUrl, 'POST /api/payments/new')) > 0, 10_000, 20)).toBe(true);
      const exit = stack.gateway.stop('SIGTERM');
      expect(await until(async () => !(await accepts(stack.url)), 10_000, 10)).toBe(true);
      const lateStatus = await late.finish(JSON.stringify(usd('sigterm-late')));
      const results = await burst;
      const code = await exit;
      if (code !== 0) process.stderr.write(stack.gateway.output().split('\n').filter((l) => !l.includes('Mapped')).slice(-15).join('\n'));
      expect(code).toBe(0);
      expect(lateStatus).toBe(503);

      const completed = results.filter((r): r is PromiseFulfilledResult<Payment> => r.status === 'fulfilled').map((r) => r.value);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as PaymentsApiError);
      // Every answer the gateway gave was 201 or 503; the calls that came after it stopped listening got no
      // connection (status 0).
      expect(responses(client).filter((r) => r.status !== 201 && r.status !== 503)).toEqual([]);
      // In flight when the signal came: finished. Arrived after: refused.
      expect(completed.length).toBeGreaterThan(0);
      for (const error of refused) expect([0, 503]).toContain(error.status);

      const rows = await query<{ id: string; provider_payment_id: string | null; provider_state_unknown: boolean }>(
        `SELECT id, provider_payment_id, provider_state_unknown FROM payments WHERE reference = 'sigterm-burst'`,
      );
      expect(rows.map((r) => r.id).sort()).toEqual(completed.map((p) => p.id).sort());
      expect(await query(`SELECT id FROM payments WHERE reference = 'sigterm-late'`)).toEqual([]);
      expect(rows.every((r) => r.provider_payment_id !== null && !r.provider_state_unknown)).toBe(true);
      const creates = await sandboxCalls(stack.sandboxes.flexiqashUrl, 'POST /api/payments/new');
      expect(creates).toBe(completed.length);
    } finally {
      await stack.close();
    }
  });
});

// Postgres and Redis go away and come back: private instances of this test's own (see ./support/services), never
// the machine's shared ones.
describeWithPrivateServices('recovery without restart (private Postgres and Redis stop and come back)', () => {
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  let stack: Stack;
  let worker: AppProcess;
  let receiver: Receiver;
  // One attempt per call (retries: 0): the test sees every refusal during an outage and does its own retrying.
  let client: PaymentsClient;
  let admin: PaymentsClient;

  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    stack = await startStack({ DATABASE_URL: pg.url, REDIS_URL: redis.url });
    worker = await startWorker({ ...stack.env, OUTBOX_SWEEP_INTERVAL_MS: '200', OUTBOX_SWEEP_GRACE_MS: '500' });
    client = stack.clientFor(await stack.newKey(), { retries: 0 });
    admin = stack.clientFor(ADMIN_KEY, { retries: 0 });
    receiver = await Receiver.start(newWebhookSecret());
    const endpoint = await client.webhookEndpoints.create({ url: receiver.url, events: ['payment.created'] });
    receiver.useSecret(endpoint.secret);
  });
  afterAll(async () => {
    await receiver?.close();
    await worker?.stop();
    await stack?.close();
    await redis?.destroy();
    pg?.destroy();
  });

  afterAll(() => {
    // Every payment.created committed across both outages reached the subscribed service, verified. Delivery is
    // at least once: an attempt whose result could not be recorded while Postgres was down is sent again, with
    // the same webhook-id, so the receiver can tell it is the same event.
    const verified = receiver.received.filter((r) => r.verifyError === null);
    expect(verified).toHaveLength(receiver.received.length);
    const byPayment = new Map<string, Set<string>>();
    for (const r of verified) {
      const id = (r.payload as { data: { id: string } }).data.id;
      byPayment.set(id, (byPayment.get(id) ?? new Set()).add(r.headers['webhook-id']));
    }
    expect([...byPayment.keys()].sort()).toEqual([...committed].sort());
    for (const webhookIds of byPayment.values()) expect(webhookIds.size).toBe(1);
  });
  const committed: string[] = [];
  /** The status the create was answered with (0 when there was no answer). */
  const createPayment = async (reference: string): Promise<number> => {
    try {
      const payment = await client.payments.create(usd(reference));
      committed.push(payment.id);
      return lastResponse(client).status;
    } catch (error) {
      if (error instanceof PaymentsApiError) return error.status;
      throw error;
    }
  };

  // Plain HTTP: /health is outside /v1.
  const ready = async () => (await call(stack.url, 'GET', '/health/ready')).status;

  it('reports Postgres down while it is, and answers again after it comes back', async () => {
    expect(await ready()).toBe(200);
    expect(await createPayment('before-pg-restart')).toBe(201);
    pg.stop();
    try {
      expect(await until(async () => (await ready()) === 503, 10_000)).toBe(true);
      const during = await rejection(admin.payments.list({ limit: 1 }));
      expect(during.status).toBe(503);
      expect(during.type).toBe('unavailable');
      expect(lastResponse(admin).headers.get('retry-after')).toBe('1');
    } finally {
      pg.start();
    }
    expect(await until(async () => (await ready()) === 200, 30_000)).toBe(true);
    expect(await until(async () => (await createPayment('after-pg-restart')) === 201, 30_000)).toBe(true);
    await receiver.waitFor('the events committed so far', () => receiver.received.length >= committed.length, 20_000);
  });

  it('reports Redis down while it is, keeps taking payments, and recovers', async () => {
    await redis.kill();
    try {
      expect(await until(async () => (await ready()) === 503, 10_000)).toBe(true);
      // Payments do not need Redis: the outbox holds their events until the queue is back.
      expect(await createPayment('during-redis-outage')).toBe(201);
    } finally {
      await redis.start();
    }
    expect(await until(async () => (await ready()) === 200, 30_000)).toBe(true);
    // Redis came back empty: the worker's sweep finds the event in Postgres and it is delivered.
    await receiver.waitFor('the event committed while Redis was down', () => receiver.received.length >= committed.length, 30_000);
  });
});
