import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { developmentKeyring, sealSecret } from '../libs/common/src/secret-box';
import { newWebhookSecret } from '../libs/outbox/src/signature';
import { endpointSecretContext } from '../libs/persistence/src/migrations/1733200000000-outbound-webhooks-v2';
import { AppProcess, startWorker } from './support/processes';
import { Receiver } from './support/receiver';
import { testDatabaseUrl, testRedisUrl, testQueuePrefix } from './support/env';

// The built worker as its own processes, killed for real. Only this file's queue prefix and owner are used, and the
// shared Postgres and Redis are never restarted or flushed.

const OWNER = `own_owh_e2e_${process.pid}`;
const workerEnv = (overrides: Record<string, string> = {}): Record<string, string> => ({
  NODE_ENV: 'test',
  DATABASE_URL: testDatabaseUrl(),
  REDIS_URL: testRedisUrl(),
  QUEUE_PREFIX: testQueuePrefix('owh-e2e'),
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  RECONCILE_INTERVAL_MS: '3600000',
  // WEBHOOK_TIMEOUT_MS, WORKER_LOCK_MS and the sweep keep their defaults: the bound below is the default one.
  ...overrides,
});

describe('webhook delivery after a worker dies mid-send', () => {
  let db: Client;
  const workers: AppProcess[] = [];
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
  });

  afterAll(async () => {
    for (const r of receivers) await r.close();
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await db.query(`UPDATE webhook_deliveries SET status = 'failed' WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE owner_id = $1) AND status = 'pending'`, [OWNER]);
    await db.end();
  });

  it('is sent again by another worker within 15 s of the death (SIGKILL while the receiver holds the request)', async () => {
    const secret = newWebhookSecret();
    const hook = await Receiver.start(secret);
    receivers.push(hook);
    // The first request is never answered: the worker holding it dies while it waits.
    hook.failNext(1, { status: 200, delayMs: 600_000 });

    const endpointId = `we_e2e${randomBytes(5).toString('hex')}`;
    const sealed = sealSecret(developmentKeyring(), secret, endpointSecretContext(endpointId));
    await db.query(
      `INSERT INTO webhook_endpoints (id, owner_id, url, events, secret, secret_key_id, enabled, created_at, updated_at)
       VALUES ($1, $2, $3, ARRAY['*'], $4, $5, true, now(), now())`,
      [endpointId, OWNER, hook.url, sealed.sealed, sealed.keyId],
    );

    const first = await startWorker(workerEnv());
    workers.push(first);
    const eventId = `evt_e2e${randomBytes(8).toString('hex')}`;
    await db.query(
      `INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, sequence, data, created_at)
       VALUES ($1, $2, 'payment.succeeded', $3, $3 || ':1:payment.succeeded', 1, '{"object":"payment"}', now())`,
      [eventId, OWNER, `pay_${eventId}`],
    );
    // Not enqueued: the worker's sweep finds it, as after a gateway whose Redis was down at commit.
    await db.query(
      `INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, created_at, updated_at)
       VALUES ($1, $2, 'pending', 0, 0, now(), now(), now())`,
      [eventId, endpointId],
    );
    await hook.waitFor('the first request', () => hook.received.length === 1, 20_000);

    const second = await startWorker(workerEnv());
    workers.push(second);
    first.child.kill('SIGKILL');
    const diedAt = Date.now();
    await new Promise((resolve) => first.child.once('exit', resolve));

    await hook.waitFor('the delivery sent again', () => hook.received.length === 2, 20_000);
    const resentAfterMs = hook.received[1].at - diedAt;
    console.log(`sent again ${resentAfterMs} ms after the worker died`);
    expect(resentAfterMs).toBeLessThanOrEqual(15_000);
    expect(hook.received[1].headers['webhook-id']).toBe(eventId);
    expect(hook.received[1].verifyError).toBeNull();

    const delivery = await db.query(`SELECT status, attempts FROM webhook_deliveries WHERE event_id = $1`, [eventId]);
    const settled = async () => (await db.query(`SELECT status FROM webhook_deliveries WHERE event_id = $1`, [eventId])).rows[0].status;
    for (let i = 0; i < 50 && (await settled()) !== 'succeeded'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await settled()).toBe('succeeded');
    expect(delivery.rows).toHaveLength(1);
    // Only the send that got an answer is an attempt; the one cut short by the death left no record.
    expect((await db.query(`SELECT attempt, status FROM webhook_attempts WHERE event_id = $1`, [eventId])).rows).toEqual([{ attempt: 1, status: 'succeeded' }]);
  });
});
