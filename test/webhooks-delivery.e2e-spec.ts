import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { DELIVER_JOB, DELIVERY_QUEUE, deliveryJobId, queuePrefix } from '../libs/outbox/src/queue';
import { developmentKeyring, sealSecret } from '../libs/common/src/secret-box';
import { newWebhookSecret } from '../libs/outbox/src/signature';
import { endpointSecretContext } from '../libs/persistence/src/migrations/1733200000000-outbound-webhooks-v2';
import { lastResponse } from './support/client';
import { AppProcess, startWorker } from './support/processes';
import { Receiver } from './support/receiver';
import { deleteKeysWithPrefix, describeWithPrivateServices, eventually, PrivateRedis, startPrivateRedis, waitUntil } from './support/services';
import { startStack, Stack } from './support/stack';
import { testDatabaseUrl, testQueuePrefix } from './support/env';

// The built worker on real Postgres and Redis, delivering to local receivers. Deliveries are seeded straight into
// Postgres with enqueued_at null, the state a gateway leaves them in when Redis was down at commit: the worker's
// sweep has to find and enqueue them, which is also the path that recovers when Redis loses its data.

const DATABASE_URL = testDatabaseUrl();
const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const SCHEDULE = [200, 400, 600];
// This file's queue keys: the only Redis data it ever deletes.
const QUEUE_PREFIX = testQueuePrefix('wh');
// Endpoints belong to an owner nobody else uses, so events other test files emit through the gateway never fan
// out to them.
const OWNER = `own_whtest_${process.pid}`;

/** The secret as the gateway stores it: sealed under the (development) secrets key, bound to the endpoint. */
function sealed(endpointId: string, secret: string): [string, string] {
  const box = sealSecret(developmentKeyring(), secret, endpointSecretContext(endpointId));
  return [box.sealed, box.keyId];
}

const workerEnv = (overrides: Record<string, string> = {}): Record<string, string> => ({
  NODE_ENV: 'test',
  DATABASE_URL,
  REDIS_URL,
  QUEUE_PREFIX,
  WEBHOOK_RETRY_SCHEDULE: SCHEDULE.map((ms) => `${ms}ms`).join(','),
  WEBHOOK_TIMEOUT_MS: '2000',
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  WORKER_CONCURRENCY: '20',
  OUTBOX_SWEEP_INTERVAL_MS: '200',
  OUTBOX_SWEEP_GRACE_MS: '500',
  // Reconciliation is not under test here; keep it from calling providers for other files' payments.
  RECONCILE_INTERVAL_MS: '3600000',
  ...overrides,
});

let db: Client;
const receivers: Receiver[] = [];
const workers: AppProcess[] = [];

async function receiver(secret: string): Promise<Receiver> {
  const started = await Receiver.start(secret);
  receivers.push(started);
  return started;
}

async function worker(overrides: Record<string, string> = {}): Promise<AppProcess> {
  const started = await startWorker(workerEnv(overrides));
  workers.push(started);
  return started;
}

async function stopWorkers(): Promise<void> {
  await Promise.all(workers.splice(0).map((running) => running.stop()));
}

const tag = () => randomBytes(5).toString('hex');

async function endpoint(url: string, secret = newWebhookSecret()): Promise<{ id: string; secret: string }> {
  const id = `we_test${tag()}`;
  await db.query(
    `INSERT INTO webhook_endpoints (id, owner_id, url, events, secret, secret_key_id, enabled, created_at, updated_at)
     VALUES ($1, $2, $3, ARRAY['*'], $4, $5, true, now(), now())`,
    [id, OWNER, url, ...sealed(id, secret)],
  );
  return { id, secret };
}

/** `count` events, each with a pending delivery to every endpoint given, none enqueued yet. */
async function seed(count: number, endpointIds: string[]): Promise<string[]> {
  const prefix = `evt_test${tag()}_`;
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, data, created_at)
     SELECT $1 || lpad(g::text, 5, '0'), $2, 'payment.succeeded', 'pay_' || $1 || g, $1 || g || ':1:payment.succeeded',
            jsonb_build_object('object', 'payment', 'amount', 12399, 'n', g), now()
       FROM generate_series(1, $3::int) g
     RETURNING id`,
    [prefix, OWNER, count],
  );
  await db.query(
    `INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, created_at, updated_at)
     SELECT ev.id, ep, 'pending', 0, 0, now(), now(), now() FROM events ev CROSS JOIN unnest($2::text[]) ep WHERE ev.id LIKE $1 || '%'`,
    [prefix, endpointIds],
  );
  return rows.map((row) => row.id).sort();
}

async function delivery(eventId: string, endpointId: string) {
  const { rows } = await db.query(`SELECT * FROM webhook_deliveries WHERE event_id = $1 AND endpoint_id = $2`, [eventId, endpointId]);
  return rows[0];
}

async function attempts(eventId: string, endpointId: string) {
  const { rows } = await db.query(`SELECT * FROM webhook_attempts WHERE event_id = $1 AND endpoint_id = $2 ORDER BY attempt`, [eventId, endpointId]);
  return rows;
}

/**
 * Each event reached the endpoint's receiver as exactly one successful send, and every other request the receiver got
 * is an attempt on record that failed without an answer: a worker that timed out (a starved machine can take
 * longer than WEBHOOK_TIMEOUT_MS to see a 200) retries, as at-least-once delivery does, and the retry repeats
 * the webhook-id. What two workers, a stalled job or a lost queue could cause, the same delivery sent twice and
 * answered twice, fails here, and so does a send the attempt history does not show.
 */
async function expectSentOnce(endpointId: string, rx: Receiver, eventIds: string[], workerOutput = ''): Promise<void> {
  const { rows } = await db.query<{ event_id: string; attempt: number; status: string; response_status: number | null; error_kind: string | null; error: string | null }>(
    `SELECT event_id, attempt, status, response_status, error_kind, error FROM webhook_attempts WHERE endpoint_id = $1 ORDER BY event_id, attempt`,
    [endpointId],
  );
  if (rx.received.length > eventIds.length) {
    const times = new Map<string, number>();
    for (const request of rx.received) times.set(request.headers['webhook-id'], (times.get(request.headers['webhook-id']) ?? 0) + 1);
    const repeated = new Set([...times].filter(([, n]) => n > 1).map(([id]) => id));
    const warnings = workerOutput.split('\n').filter((line) => /WARN|ERROR/.test(line) && !/ attempt \d+\/\d+: status 200 /.test(line));
    process.stdout.write(
      `endpoint ${endpointId}: ${rx.received.length} requests for ${eventIds.length} events; attempts of the repeated ones: ` +
        `${JSON.stringify(rows.filter((row) => repeated.has(row.event_id)))}; worker warnings: ${JSON.stringify(warnings.slice(0, 20))}\n`,
    );
  }
  expect(rows.filter((row) => row.status === 'succeeded').map((row) => row.event_id)).toEqual(eventIds);
  expect(rows.filter((row) => row.status !== 'succeeded' && !(row.response_status === null && (row.error_kind === 'timeout' || row.error_kind === 'connection')))).toEqual([]);
  expect(rx.received.length).toBeLessThanOrEqual(rows.length);
}

const until = <T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000) => waitUntil(what, read, done, timeoutMs);

const settled = (eventId: string, endpointId: string) =>
  until(`delivery ${eventId} to settle`, () => delivery(eventId, endpointId), (row) => row?.status !== 'pending');

/**
 * Waits until this file's delivery queue holds no job at all (none waiting, running or scheduled for a retry): the
 * positive sign that nothing more will be sent, instead of waiting a while to see that nothing came.
 */
async function queueDrained(): Promise<void> {
  const queue = new Queue(DELIVERY_QUEUE, { connection: { url: REDIS_URL }, prefix: queuePrefix(QUEUE_PREFIX) });
  try {
    const jobs = async () => Object.values(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')).reduce((a, b) => a + b, 0);
    await until('the delivery queue to drain', jobs, (n) => n === 0, 20_000);
  } finally {
    await queue.close();
  }
}

beforeAll(async () => {
  db = new Client({ connectionString: DATABASE_URL });
  await db.connect();
});

afterAll(async () => {
  await stopWorkers();
  await deleteKeysWithPrefix(REDIS_URL, QUEUE_PREFIX);
  // Leave nothing for another file's worker to sweep.
  await db?.query(`UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'test finished' WHERE owner_id = $1`, [OWNER]);
  await db?.end();
  await Promise.all(receivers.map((running) => running.close()));
});

describe('webhook delivery by the worker', () => {
  beforeAll(async () => {
    await worker();
  });
  afterAll(stopWorkers);

  it('retries on the schedule and succeeds after two failures, signed the Standard Webhooks way', async () => {
    const secret = newWebhookSecret();
    const rx = (await receiver(secret)).failNext(2, { status: 500 });
    const ep = await endpoint(`${rx.url}/hooks`, secret);
    const [eventId] = await seed(1, [ep.id]);

    const row = await settled(eventId, ep.id);
    expect(row).toMatchObject({ status: 'succeeded', attempts: 3, last_response_status: 200, last_error: null });
    expect(rx.received.map((request) => request.answered)).toEqual([500, 500, 200]);
    for (const request of rx.received) {
      expect(request.verifyError).toBeNull();
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/hooks');
      expect(request.headers['webhook-id']).toBe(eventId);
      expect(request.headers['content-type']).toBe('application/json');
    }
    expect(rx.received[2].payload).toEqual({
      id: eventId,
      type: 'payment.succeeded',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: { object: 'payment', amount: 12399, n: 1 },
    });
    const gaps = [rx.received[1].at - rx.received[0].at, rx.received[2].at - rx.received[1].at];
    expect(gaps[0]).toBeGreaterThanOrEqual(0.8 * SCHEDULE[0]);
    expect(gaps[1]).toBeGreaterThanOrEqual(0.8 * SCHEDULE[1]);
    expect(gaps[0]).toBeLessThan(1.2 * SCHEDULE[0] + 500);
    expect(gaps[1]).toBeLessThan(1.2 * SCHEDULE[1] + 500);

    const recorded = await attempts(eventId, ep.id);
    expect(recorded.map((a) => [a.attempt, a.status, a.response_status])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 500],
      [3, 'succeeded', 200],
    ]);
    expect(recorded[0].error).toBe('responded 500');
    expect(recorded.every((a) => a.duration_ms >= 0)).toBe(true);
  });

  it('marks a delivery failed after the last scheduled attempt and stops', async () => {
    const secret = newWebhookSecret();
    const rx = (await receiver(secret)).always({ status: 500 });
    const ep = await endpoint(rx.url, secret);
    const [eventId] = await seed(1, [ep.id]);

    const row = await settled(eventId, ep.id);
    expect(row).toMatchObject({ status: 'failed', attempts: SCHEDULE.length + 1, last_response_status: 500 });
    await queueDrained();
    expect(rx.received).toHaveLength(SCHEDULE.length + 1);
    expect((await attempts(eventId, ep.id)).map((a) => a.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
  });

  it('disables the endpoint on 410 Gone after one attempt', async () => {
    const secret = newWebhookSecret();
    const rx = (await receiver(secret)).always({ status: 410 });
    const ep = await endpoint(rx.url, secret);
    const [eventId] = await seed(1, [ep.id]);

    expect(await settled(eventId, ep.id)).toMatchObject({ status: 'failed', attempts: 1, last_response_status: 410 });
    const { rows } = await db.query(`SELECT enabled, disabled_reason FROM webhook_endpoints WHERE id = $1`, [ep.id]);
    expect(rows[0].enabled).toBe(false);
    expect(rows[0].disabled_reason).toContain('410');
    await queueDrained();
    expect(rx.received).toHaveLength(1);
  });

  it('waits at least Retry-After after a 429', async () => {
    const secret = newWebhookSecret();
    const rx = (await receiver(secret)).failNext(1, { status: 429, headers: { 'retry-after': '1' } });
    const ep = await endpoint(rx.url, secret);
    const [eventId] = await seed(1, [ep.id]);

    expect(await settled(eventId, ep.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(rx.received[1].at - rx.received[0].at).toBeGreaterThanOrEqual(950);
    expect((await attempts(eventId, ep.id))[0]).toMatchObject({ status: 'failed', response_status: 429 });
  });

  it('treats a redirect as a failure and does not follow it', async () => {
    const secret = newWebhookSecret();
    const rx = await receiver(secret);
    rx.failNext(1, { status: 302, headers: { location: `${rx.url}/elsewhere` } });
    const ep = await endpoint(`${rx.url}/hooks`, secret);
    const [eventId] = await seed(1, [ep.id]);

    expect(await settled(eventId, ep.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(rx.received.map((request) => request.path)).toEqual(['/hooks', '/hooks']);
    expect((await attempts(eventId, ep.id))[0]).toMatchObject({ status: 'failed', response_status: 302, error: 'redirect (302) not followed' });
  });

  it('delivers every event once to every endpoint although Redis loses the queue mid-burst', async () => {
    const secrets = [newWebhookSecret(), newWebhookSecret()];
    const rxs = [await receiver(secrets[0]), await receiver(secrets[1])];
    const eps = [await endpoint(rxs[0].url, secrets[0]), await endpoint(rxs[1].url, secrets[1])];
    const eventIds = await seed(300, eps.map((ep) => ep.id));
    await rxs[0].waitFor('the burst to start', () => rxs[0].received.length + rxs[1].received.length >= 100);
    const logBeforeFlush = workers[0].output().length;
    // The queue's data is lost: every key under this file's prefix (never anything else on the shared Redis).
    expect(await deleteKeysWithPrefix(REDIS_URL, QUEUE_PREFIX)).toBeGreaterThan(0);
    const flushedAfter = rxs[0].received.length + rxs[1].received.length;

    for (const rx of rxs) await rx.waitFor('every event', () => rx.uniqueIds().size === eventIds.length, 20_000);
    const byStatus = () =>
      db
        .query(`SELECT status, count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = ANY($1) GROUP BY status`, [eps.map((ep) => ep.id)])
        .then((result) => result.rows);
    // The last responses may still be being recorded.
    expect(await until('every delivery recorded', byStatus, (rows) => rows.length === 1)).toEqual([{ status: 'succeeded', n: 600 }]);
    for (const rx of rxs) {
      expect([...rx.uniqueIds()].sort()).toEqual(eventIds);
      expect(rx.received.every((request) => request.verifyError === null)).toBe(true);
    }
    expect(flushedAfter).toBeLessThan(600);
    // The jobs Redis lost came back through the sweep.
    expect(workers[0].output().slice(logBeforeFlush)).toMatch(/handed \d+ pending deliveries to the queue/);
    // A job re-added while its first copy is still being sent is dropped, so none is sent twice.
    for (const [i, ep] of eps.entries()) await expectSentOnce(ep.id, rxs[i], eventIds, workers[0].output());
  }, 40_000);
});

describeWithPrivateServices('Redis down mid-burst (a private Redis, killed and started again empty)', () => {
  let redis: PrivateRedis | undefined;
  afterAll(async () => {
    await stopWorkers();
    await redis?.destroy();
  });

  it('delivers everything once Redis is back, although it came back empty', async () => {
    redis = await startPrivateRedis();
    const secret = newWebhookSecret();
    const rx = (await receiver(secret)).always({ status: 200, delayMs: 10 });
    const ep = await endpoint(rx.url, secret);
    const eventIds = await seed(200, [ep.id]);
    const running = await worker({ REDIS_URL: redis.url, WORKER_CONCURRENCY: '5' });

    await rx.waitFor('the burst to start', () => rx.received.length >= 40);
    await redis.kill();
    // Down long enough for the worker to notice: it reports losing the connection.
    const logAtKill = running.output().length;
    await until('the worker to notice Redis is gone', async () => running.output().slice(logAtKill), (text) => /queue: |Redis unavailable/.test(text));
    const duringOutage = rx.received.length;
    await redis.start();

    await rx.waitFor('every event', () => rx.uniqueIds().size === eventIds.length, 20_000);
    expect(duringOutage).toBeLessThan(200);
    expect([...rx.uniqueIds()].sort()).toEqual(eventIds);
    const succeeded = () =>
      db
        .query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'succeeded'`, [ep.id])
        .then((result) => result.rows[0].n as number);
    expect(await until('every delivery recorded', succeeded, (n) => n === 200)).toBe(200);
    await expectSentOnce(ep.id, rx, eventIds, running.output());
  }, 40_000);
});

describe('private addresses', () => {
  afterAll(stopWorkers);

  it('are refused at delivery time when WEBHOOK_ALLOW_PRIVATE_URLS=false, by IP and by name', async () => {
    await worker({ WEBHOOK_ALLOW_PRIVATE_URLS: 'false' });
    const secret = newWebhookSecret();
    const rx = await receiver(secret);
    const port = new URL(rx.url).port;
    const byIp = await endpoint(rx.url, secret);
    const byName = await endpoint(`http://localhost:${port}/`, secret);
    const [eventId] = await seed(1, [byIp.id, byName.id]);

    for (const ep of [byIp, byName]) {
      const [first] = await until(`an attempt to ${ep.id}`, () => attempts(eventId, ep.id), (rows) => rows.length > 0);
      expect(first).toMatchObject({ attempt: 1, status: 'failed', response_status: null });
      expect(first.error).toContain('private');
    }
    expect((await attempts(eventId, byIp.id))[0].error).toBe('refused: 127.0.0.1 is a private address');
    expect((await attempts(eventId, byName.id))[0].error).toBe('refused: localhost resolves only to private addresses');
    await stopWorkers();
    expect(rx.received).toHaveLength(0);
    await db.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = ANY($1)`, [[byIp.id, byName.id]]);
  });
});

describe('several workers', () => {
  afterAll(stopWorkers);

  it('share 500 deliveries, each sent to success once', async () => {
    const secret = newWebhookSecret();
    const rx = await receiver(secret);
    const ep = await endpoint(rx.url, secret);
    const eventIds = await seed(500, [ep.id]);
    // At debug level each worker logs every successful send, which tells how the two shared the work. The default
    // send timeout, not this file's 2 s: on a starved machine a 2 s timeout retries sends the receiver did get, and
    // the claim it sizes (timeout + 2 s) is shorter than a stalled job's lock (WORKER_LOCK_MS, 5 s).
    const [a, b] = await Promise.all([0, 1].map(() => worker({ LOG_LEVEL: 'debug', WEBHOOK_TIMEOUT_MS: '10000' })));

    await rx.waitFor('500 deliveries', () => rx.uniqueIds().size === 500, 20_000);
    await queueDrained();
    expect([...rx.uniqueIds()].sort()).toEqual(eventIds);
    await expectSentOnce(ep.id, rx, eventIds, a.output() + b.output());
    // A successful send is logged once, whatever its attempt number (a first attempt can time out under load).
    const sent = (output: string) => output.split('\n').filter((line) => new RegExp(`endpoint ${ep.id} attempt \\d+/4: status 200`).test(line)).length;
    const [byA, byB] = [sent(a.output()), sent(b.output())];
    process.stdout.write(`two workers: ${byA} + ${byB} deliveries\n`);
    expect(byA + byB).toBe(500);
  });
});

describe('two workers handed the same delivery', () => {
  const prefixes = [`${QUEUE_PREFIX}-claim-a`, `${QUEUE_PREFIX}-claim-b`];
  afterAll(async () => {
    await stopWorkers();
    for (const prefix of prefixes) await deleteKeysWithPrefix(REDIS_URL, prefix);
  });

  it('sends it once: the claim in Postgres decides, whatever the queues hold', async () => {
    const secret = newWebhookSecret();
    // Slow answers keep each send in flight while the other worker's job for the same delivery runs.
    const rx = (await receiver(secret)).always({ status: 200, delayMs: 200 });
    const ep = await endpoint(rx.url, secret);
    const eventIds = await seed(40, [ep.id]);
    // Marked enqueued and no sweep, so the only jobs are the ones added below.
    await db.query(`UPDATE webhook_deliveries SET enqueued_at = now() WHERE endpoint_id = $1`, [ep.id]);
    // Two workers on the same database with different queue prefixes: BullMQ's job ids cannot see each other
    // across queues, so both workers get a job for every delivery.
    await Promise.all(prefixes.map((prefix) => worker({ QUEUE_PREFIX: prefix, OUTBOX_SWEEP_INTERVAL_MS: '3600000' })));
    const queues = prefixes.map((prefix) => new Queue(DELIVERY_QUEUE, { connection: { url: REDIS_URL }, prefix: queuePrefix(prefix) }));
    try {
      for (const queue of queues) {
        await queue.addBulk(
          eventIds.map((eventId) => {
            const ref = { eventId, endpointId: ep.id, generation: 0 };
            return { name: DELIVER_JOB, data: ref, opts: { jobId: deliveryJobId(ref), removeOnComplete: true, removeOnFail: true } };
          }),
        );
      }
      // Every job in both queues has run (the later one found the delivery claimed or already sent, and waited out
      // the claim). Finished jobs may be kept for the queue dashboard, so only unfinished ones count.
      const left = async () => (await Promise.all(queues.map((queue) => queue.getJobCounts('waiting', 'active', 'delayed')))).map((counts) => Object.values(counts).reduce((a, b) => a + b, 0));
      await until('both queues to drain', left, (counts) => counts.every((n) => n === 0), 20_000);
    } finally {
      await Promise.all(queues.map((queue) => queue.close()));
    }
    const delivered = await until(
      'every delivery recorded',
      () => db.query(`SELECT status, attempts FROM webhook_deliveries WHERE endpoint_id = $1`, [ep.id]).then((result) => result.rows),
      (rows) => rows.every((row) => row.status === 'succeeded'),
    );
    expect(delivered).toHaveLength(40);
    expect(delivered.every((row) => row.attempts === 1)).toBe(true);
    expect([...rx.uniqueIds()].sort()).toEqual(eventIds);
    expect(rx.received.length).toBe(40);
  });
});

describe('shutdown', () => {
  afterAll(stopWorkers);

  it('on SIGTERM finishes the deliveries in flight, records them, and exits 0', async () => {
    const secret = newWebhookSecret();
    const rx = (await receiver(secret)).always({ status: 200, delayMs: 400 });
    const ep = await endpoint(rx.url, secret);
    const eventIds = await seed(60, [ep.id]);
    const running = await worker({ WORKER_CONCURRENCY: '10' });

    await rx.waitFor('deliveries in flight', () => rx.received.length >= 5);
    const signalled = Date.now();
    const code = await running.stop('SIGTERM');
    const tookMs = Date.now() - signalled;
    workers.splice(workers.indexOf(running), 1);
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(5_000);

    // Every request the receiver saw is recorded, as an attempt and on its delivery; nothing is half-written.
    const sent = rx.received.length;
    expect(sent).toBeGreaterThanOrEqual(5);
    expect(sent).toBeLessThan(60);
    const { rows } = await db.query(
      `SELECT d.status, d.attempts, (SELECT count(*)::int FROM webhook_attempts a WHERE a.event_id = d.event_id AND a.endpoint_id = d.endpoint_id) AS recorded
         FROM webhook_deliveries d WHERE d.endpoint_id = $1`,
      [ep.id],
    );
    expect(rows.filter((row) => row.status === 'succeeded')).toHaveLength(sent);
    expect(rows.filter((row) => row.status === 'pending')).toHaveLength(60 - sent);
    expect(rows.every((row) => row.attempts === row.recorded && row.attempts === (row.status === 'succeeded' ? 1 : 0))).toBe(true);

    // The rest is delivered by the next worker, none twice.
    rx.always({ status: 200 });
    await worker();
    await rx.waitFor('the rest', () => rx.uniqueIds().size === 60, 15_000);
    await queueDrained();
    expect(rx.received).toHaveLength(60);
    expect([...rx.uniqueIds()].sort()).toEqual(eventIds);
  });
});

describe('reconciliation', () => {
  let stack: Stack | undefined;
  afterAll(async () => {
    await stopWorkers();
    await stack?.close();
  });

  it('notices a payment paid while no notification got through, and emits and delivers payment.succeeded', async () => {
    stack = await startStack();
    const client = stack.clientFor(await stack.newKey());
    const payment = await client.payments.create({ amount: 12399, currency: 'USD', description: 'Membership' });
    expect(lastResponse(client).status).toBe(201);
    // With the gateway down, the provider's notification of the payment goes nowhere.
    await stack.gateway.stop();
    expect((await fetch(payment.checkoutUrl!.replace(/\/request$/, '/pay'), { method: 'POST' })).status).toBe(200);

    // The admin's endpoints receive every owner's events.
    const secret = newWebhookSecret();
    const rx = await receiver(secret);
    const id = `we_test${tag()}`;
    await db.query(
      `INSERT INTO webhook_endpoints (id, owner_id, url, events, secret, secret_key_id, enabled, created_at, updated_at)
       VALUES ($1, 'admin', $2, ARRAY['payment.succeeded'], $3, $4, true, now(), now())`,
      [id, rx.url, ...sealed(id, secret)],
    );
    try {
      await worker({
        FLEXIQASH_BASE_URL: stack.env.FLEXIQASH_BASE_URL,
        FLASHPAY_BASE_URL: stack.env.FLASHPAY_BASE_URL,
        RECONCILE_INTERVAL_MS: '200',
        RECONCILE_AFTER_MS: '0',
      });
      const ours = () => rx.received.filter((request) => (request.payload as { data?: { id?: string } } | null)?.data?.id === payment.id);
      await rx.waitFor('payment.succeeded for the payment', () => ours().length > 0, 15_000);
      expect(ours()).toHaveLength(1);
      expect(ours()[0].payload).toMatchObject({ type: 'payment.succeeded', data: { id: payment.id, status: 'succeeded' } });
      const { rows } = await db.query(`SELECT status, version, last_checked_at FROM payments WHERE id = $1`, [payment.id]);
      expect(rows[0]).toMatchObject({ status: 'succeeded' });
      expect(rows[0].last_checked_at).not.toBeNull();
      // The tick logs its summary once every stale payment is done, which can be after the delivery arrived.
      const output = await eventually(async () => workers[0].output(), (text) => /reconciled [1-9]\d* payments/.test(text), 10_000);
      expect(output).toMatch(/reconciled [1-9]\d* payments/);
    } finally {
      await db.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = $1`, [id]);
    }
  });
});
