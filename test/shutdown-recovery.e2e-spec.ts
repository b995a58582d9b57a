import { Client } from 'pg';
import { call } from './support/http';
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

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const ready = async () => (await call(stack.url, 'GET', '/health/ready')).status;

  it('reports Postgres down while it is, and answers again after it comes back', async () => {
    expect(await ready()).toBe(200);
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
    expect(await until(async () => (await stack.api('POST', '/v1/payments', usd('after-pg-restart'))).status === 201, 30_000)).toBe(true);
  });

  it('reports Redis down while it is, keeps taking payments, and recovers', async () => {
    stopRedis();
    try {
      expect(await until(async () => (await ready()) === 503, 10_000)).toBe(true);
      // Payments do not need Redis: the outbox holds their events until the queue is back.
      const during = await stack.api('POST', '/v1/payments', usd('during-redis-outage'));
      expect(during.status).toBe(201);
    } finally {
      startRedis();
    }
    expect(await until(async () => (await ready()) === 200, 30_000)).toBe(true);
  });
});
