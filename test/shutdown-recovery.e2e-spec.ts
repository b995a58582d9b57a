import { Client } from 'pg';
import { newWebhookSecret } from '../libs/outbox/src/signature';
import { call } from './support/http';
import { AppProcess, startWorker } from './support/processes';
import { Receiver } from './support/receiver';
import { canControlServices, postgres, startRedis, stopRedis, until } from './support/services';
import { startStack, Stack } from './support/stack';

const usd = (reference: string) => ({ amount: 1500, currency: 'USD', description: 'Shutdown test', reference });
const DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/payments_test';

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('graceful shutdown', () => {
  it('SIGTERM during a burst: every request completes or is refused before it starts, and the process exits 0', async () => {
    const stack = await startStack();
    try {
      await call(stack.sandboxes.flexiqashUrl, 'PUT', '/__sandbox/faults', { body: { latencyMs: 400 } });
      const burst = Array.from({ length: 30 }, () =>
        stack.api('POST', '/v1/payments', usd('sigterm-burst')).then(
          (answer) => ({ status: answer.status, id: answer.body?.id as string | undefined }),
          (error: Error & { cause?: { code?: string } }) => ({ status: 0, id: undefined, code: error.cause?.code ?? error.message }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      const exit = stack.gateway.stop('SIGTERM');
      const answers = await Promise.all(burst);
      const code = await exit;
      if (code !== 0) process.stderr.write(stack.gateway.output().split('\n').filter((l) => !l.includes('Mapped')).slice(-15).join('\n'));
      expect(code).toBe(0);

      const completed = answers.filter((a) => a.status === 201);
      const refused = answers.filter((a) => a.status !== 201);
      // In flight when the signal came: finished. Arrived after: refused (503 while closing, or no connection).
      expect(completed.length).toBeGreaterThan(0);
      for (const answer of refused) expect([0, 503]).toContain(answer.status);

      const rows = await query<{ id: string; provider_payment_id: string | null; provider_state_unknown: boolean }>(
        `SELECT id, provider_payment_id, provider_state_unknown FROM payments WHERE reference = 'sigterm-burst'`,
      );
      expect(rows.map((r) => r.id).sort()).toEqual(completed.map((a) => a.id).sort());
      expect(rows.every((r) => r.provider_payment_id !== null && !r.provider_state_unknown)).toBe(true);
      const creates = (await call(stack.sandboxes.flexiqashUrl, 'GET', '/__sandbox/requests')).body.counts['POST /api/payments/new'];
      expect(creates).toBe(completed.length);
    } finally {
      await stack.close();
    }
  });
});

// These restart the machine's Postgres and Redis; where the test cannot control them, it says so and stops.
const describeServices = canControlServices ? describe : describe.skip;

describeServices('recovery without restart (restarts the local Postgres and Redis)', () => {
  let stack: Stack;
  let worker: AppProcess;
  let receiver: Receiver;
  let key: string;

  beforeAll(async () => {
    stack = await startStack();
    worker = await startWorker({ ...stack.env, OUTBOX_SWEEP_INTERVAL_MS: '200', OUTBOX_SWEEP_GRACE_MS: '500' });
    key = await stack.newKey();
    receiver = await Receiver.start(newWebhookSecret());
    const endpoint = await stack.api('POST', '/v1/webhook-endpoints', { url: receiver.url, events: ['payment.created'] }, key);
    receiver.useSecret(endpoint.body.secret);
  });
  afterAll(async () => {
    await receiver?.close();
    await worker?.stop();
    await stack?.close();
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
  const createPayment = async (reference: string) => {
    const answer = await stack.api('POST', '/v1/payments', usd(reference), key);
    if (answer.status === 201) committed.push(answer.body.id);
    return answer.status;
  };

  const ready = async () => (await call(stack.url, 'GET', '/health/ready')).status;

  it('reports Postgres down while it is, and answers again after it comes back', async () => {
    expect(await ready()).toBe(200);
    expect(await createPayment('before-pg-restart')).toBe(201);
    postgres('stop');
    try {
      expect(await until(async () => (await ready()) === 503, 10_000)).toBe(true);
      const during = await stack.api('GET', '/v1/payments?limit=1');
      expect(during.status).toBe(503);
      expect(during.body.error.type).toBe('unavailable');
      expect(during.headers.get('retry-after')).toBe('1');
    } finally {
      postgres('start');
    }
    expect(await until(async () => (await ready()) === 200, 30_000)).toBe(true);
    expect(await until(async () => (await createPayment('after-pg-restart')) === 201, 30_000)).toBe(true);
    await receiver.waitFor('the events committed so far', () => receiver.received.length >= committed.length, 20_000);
  });

  it('reports Redis down while it is, keeps taking payments, and recovers', async () => {
    stopRedis();
    try {
      expect(await until(async () => (await ready()) === 503, 10_000)).toBe(true);
      // Payments do not need Redis: the outbox holds their events until the queue is back.
      expect(await createPayment('during-redis-outage')).toBe(201);
    } finally {
      startRedis();
    }
    expect(await until(async () => (await ready()) === 200, 30_000)).toBe(true);
    // Redis came back empty: the worker's sweep finds the event in Postgres and it is delivered.
    await receiver.waitFor('the event committed while Redis was down', () => receiver.received.length >= committed.length, 30_000);
  });
});
