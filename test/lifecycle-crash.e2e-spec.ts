import { Client } from 'pg';
import { setFaults, clearFaults } from './support/sandbox';
import { ADMIN_KEY, SANDBOX_TOKENS, startStack, Stack } from './support/stack';
import { call } from './support/http';

const LEASE_MS = 2000;

/**
 * kill -9 of a gateway in the middle of a burst of creates: every Idempotency-Key it held is taken over by another
 * instance once its lease has passed, and answered with the payment created under it (adopted from the provider)
 * or the unknown-outcome error naming it. No key answers 409 for longer than the lease; no request makes a second
 * payment at the provider.
 */
describe('a gateway killed during a burst of creates', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ IDEMPOTENCY_LEASE_MS: String(LEASE_MS) }, { flexiqashWebhookUrl: '' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('leaves no key stuck longer than the lease and no duplicate at the provider', async () => {
    const other = await stack.startGateway();
    const run = `burst-${Date.now()}`;
    const keys = Array.from({ length: 30 }, (_, i) => `${run}-${i}`);
    const body = (key: string) => ({ amount: 1000, currency: 'USD', description: key });
    // FlexiQash acts at once but answers late: the kill lands after it created payments the gateway has no id for.
    await setFaults(stack.sandboxes.flexiqashUrl, { responseDelayMs: 400 });
    const burst = keys.map((key) => call(stack.url, 'POST', '/v1/payments', { key: ADMIN_KEY, body: body(key), headers: { 'idempotency-key': key } }).catch(() => null));
    await new Promise((resolve) => setTimeout(resolve, 250));
    stack.gateway.child.kill('SIGKILL');
    const killedAt = Date.now();
    await Promise.all(burst);
    await clearFaults(stack.sandboxes.flexiqashUrl);
    // What the dead instance left: keys it held, and payments it made at the provider without recording their id.
    const db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
    const left = await db
      .query(
        `SELECT count(*)::int AS running, count(p.id) FILTER (WHERE p.provider_payment_id IS NULL)::int AS unconfirmed
           FROM idempotency_keys k LEFT JOIN payments p ON p.id = k.resource_id
          WHERE k.key LIKE $1 AND k.state = 'running'`,
        [`${run}-%`],
      )
      .finally(() => db.end());
    const { running, unconfirmed } = left.rows[0] as { running: number; unconfirmed: number };
    expect(running).toBeGreaterThan(0);

    const answers = new Map<string, { status: number; body: any }>();
    let longest409 = 0;
    const heldByTheDead = new Set<string>();
    for (const key of keys) {
      for (;;) {
        const answer = await call(other.url, 'POST', '/v1/payments', { key: ADMIN_KEY, body: body(key), headers: { 'idempotency-key': key } });
        if (answer.status !== 409) {
          answers.set(key, answer);
          break;
        }
        heldByTheDead.add(key);
        longest409 = Math.max(longest409, Date.now() - killedAt);
        expect(Date.now() - killedAt).toBeLessThan(LEASE_MS + 3000);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(longest409).toBeLessThanOrEqual(LEASE_MS + 3000);
    expect(heldByTheDead.size).toBeGreaterThan(0);
    if (process.env.TEST_REPORT) {
      const statuses = [...answers.values()].map((a) => a.status);
      console.log(JSON.stringify({ runningAtKill: running, unconfirmedAtKill: unconfirmed, retriedWhile409: heldByTheDead.size, longest409Ms: longest409, created: statuses.filter((s) => s === 201).length, unknown: statuses.filter((s) => s === 504).length }));
    }

    const listed = await fetch(`${stack.sandboxes.flexiqashUrl}/api/payments`, { headers: { authorization: `Bearer ${SANDBOX_TOKENS.flexiqash}` } });
    const atProvider = (await listed.json()) as Array<{ guid: string; name: string; payee: { reference: string } }>;
    for (const key of keys) {
      const made = atProvider.filter((payment) => payment.name === key);
      expect(made.length).toBeLessThanOrEqual(1);
      const answer = answers.get(key)!;
      if (answer.status === 201) {
        expect(made).toHaveLength(1);
        expect(answer.body).toMatchObject({ id: made[0].payee.reference, providerPaymentId: made[0].guid });
      } else {
        // The provider has nothing for it: the answer names the payment, whose outcome is still open.
        expect(answer.status).toBe(504);
        expect(made).toHaveLength(0);
        expect(answer.body.error.details.paymentId).toMatch(/^pay_/);
      }
    }
  });
});
