import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook } from '@app/client';
import { AppProcess, startWorker } from './support/processes';
import { Receiver } from './support/receiver';
import { deleteKeysWithPrefix, waitUntil } from './support/services';
import { ADMIN_KEY, startStack, Stack } from './support/stack';
import { testQueuePrefix } from './support/env';
import { retentionSeeder } from './support/retention-rows';

// Outbound webhooks through the built processes: the gateway (its routes, through the typed client where it has
// them) and the worker (delivery, endpoint health, retention) as their own processes on this run's database, a
// queue prefix of this file's own, and local receivers that verify like a consumer (the `standardwebhooks`
// package). Each test has its own API key, so only its own endpoints receive its events; each starts the worker
// with the settings it needs and stops it at the end.

const QUEUE_PREFIX = testQueuePrefix('owh-api');
/** Short enough for the test to see it end; long enough to deliver a payment's event inside it. */
const ROTATION_GRACE_MS = 4000;
const PLACEHOLDER = `whsec_${Buffer.alloc(32).toString('base64')}`;

const signatures = (headers: Record<string, string>) => headers['webhook-signature'].split(' ').filter((part) => part.startsWith('v1,'));

describe('outbound webhooks through the built gateway and worker', () => {
  let stack: Stack;
  let db: Client;
  const receivers: Receiver[] = [];
  const workers: AppProcess[] = [];
  /** Endpoints created by the test running, disabled after it so a later worker does not deliver to them. */
  const endpoints: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ QUEUE_PREFIX, WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_SECRET_ROTATION_GRACE: `${ROTATION_GRACE_MS}ms` });
    db = new Client({ connectionString: stack.env.DATABASE_URL });
    await db.connect();
  });

  afterEach(async () => {
    // Receivers first: a request held open would keep the worker's shutdown waiting for it.
    for (const r of receivers.splice(0)) await r.close();
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    if (endpoints.length > 0) await db.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = ANY($1)`, [endpoints.splice(0)]);
  });

  afterAll(async () => {
    await db?.end();
    await stack?.close();
    await deleteKeysWithPrefix(stack?.env.REDIS_URL ?? 'redis://127.0.0.1:6379', QUEUE_PREFIX).catch(() => undefined);
  });

  async function worker(env: Record<string, string> = {}): Promise<AppProcess> {
    const started = await startWorker({
      ...stack.env,
      // Reconciliation is not under test here; keep it from calling providers for other files' payments.
      RECONCILE_INTERVAL_MS: '3600000',
      OUTBOX_SWEEP_INTERVAL_MS: '200',
      OUTBOX_SWEEP_GRACE_MS: '500',
      ...env,
    });
    workers.push(started);
    return started;
  }

  async function receiver(): Promise<Receiver> {
    const started = await Receiver.start(PLACEHOLDER);
    receivers.push(started);
    return started;
  }

  /** A service key of the test's own; `owner` is the owner id its endpoints and events carry. */
  async function account() {
    const created = await stack.client.apiKeys.create({
      name: `owh e2e ${randomBytes(3).toString('hex')}`,
      scopes: ['payments:read', 'payments:write', 'webhooks:manage'],
    });
    return { owner: created.id, key: created.key, client: stack.clientFor(created.key) };
  }

  async function subscribe(client: Stack['client'], hook: Receiver, events: string[] = ['*']) {
    const created = await client.webhookEndpoints.create({ url: hook.url, events: events as never });
    endpoints.push(created.id);
    hook.useSecret(created.secret);
    return created;
  }

  const pay = async (client: Stack['client']) => (await client.payments.create({ amount: 1234, currency: 'USD', description: 'outbound webhook e2e' })).id;

  /** The request that delivered the event about `paymentId` (the newest, if it was tried several times). */
  const about = (hook: Receiver, paymentId: string) =>
    [...hook.received].reverse().find((r) => (JSON.parse(r.rawBody) as { data?: { id?: string } }).data?.id === paymentId);

  const until = <T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000) => waitUntil(what, read, done, timeoutMs);

  it('rotate-secret: during the grace period each delivery carries two v1 signatures and verifies with the old and the new secret (standardwebhooks and verifyWebhook); after it, with the new one only', async () => {
    await worker({ WEBHOOK_RETRY_SCHEDULE: '200ms,200ms' });
    const { client } = await account();
    const hook = await receiver();
    const created = await subscribe(client, hook);
    const oldSecret = created.secret;

    const first = await pay(client);
    await hook.waitFor('the delivery before the rotation', () => !!about(hook, first), 15_000);
    expect(signatures(about(hook, first)!.headers)).toHaveLength(1);
    expect(about(hook, first)!.verifyError).toBeNull();

    const rotated = await client.webhookEndpoints.rotateSecret(created.id);
    const newSecret = rotated.secret;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    const graceEnds = Date.parse(rotated.previousSecretExpiresAt!);
    expect(graceEnds - Date.now()).toBeGreaterThan(0);
    expect(graceEnds - Date.now()).toBeLessThanOrEqual(ROTATION_GRACE_MS);

    const second = await pay(client);
    await hook.waitFor('the delivery during the grace period', () => !!about(hook, second), 15_000);
    const during = about(hook, second)!;
    expect(during.at).toBeLessThan(graceEnds);
    expect(signatures(during.headers)).toHaveLength(2);
    const payload = new Webhook(newSecret).verify(during.rawBody, during.headers) as { id: string; data: { id: string } };
    expect(payload.data.id).toBe(second);
    expect(new Webhook(oldSecret).verify(during.rawBody, during.headers)).toEqual(payload);
    expect(verifyWebhook(during.rawBody, during.headers, oldSecret)).toEqual(payload);
    expect(verifyWebhook(during.rawBody, during.headers, newSecret)).toEqual(payload);
    expect(during.headers['webhook-id']).toBe(payload.id);

    // The grace period over (a bounded wait for the clock to pass it), deliveries carry the new signature only.
    await until('the end of the grace period', async () => Date.now(), (now) => now > graceEnds + 100, ROTATION_GRACE_MS + 2000);
    const third = await pay(client);
    await hook.waitFor('the delivery after the grace period', () => !!about(hook, third), 15_000);
    const after = about(hook, third)!;
    expect(signatures(after.headers)).toHaveLength(1);
    expect(new Webhook(newSecret).verify(after.rawBody, after.headers)).toMatchObject({ data: { id: third } });
    expect(verifyWebhook(after.rawBody, after.headers, newSecret)).toMatchObject({ data: { id: third } });
    expect(() => new Webhook(oldSecret).verify(after.rawBody, after.headers)).toThrow();
    expect(() => verifyWebhook(after.rawBody, after.headers, oldSecret)).toThrow();
  });

  it('recover: deliveries that failed for good are listed as dead letters with their attempt history, and all arrive after POST recover {since} once the receiver is healthy', async () => {
    await worker({ WEBHOOK_RETRY_SCHEDULE: '100ms,100ms', WEBHOOK_CIRCUIT_THRESHOLD: '1000' });
    const { client } = await account();
    const hook = await receiver();
    hook.always({ status: 503 });
    const created = await subscribe(client, hook);
    const since = new Date(Date.now() - 1000).toISOString();
    const payments = [await pay(client), await pay(client), await pay(client)];

    const dead = await until(
      'three dead letters',
      () => client.webhookEndpoints.deadLetters(created.id, { limit: 10 }),
      (page) => page.data.length === 3,
    );
    for (const letter of dead.data) expect(letter).toMatchObject({ eventType: 'payment.created', attempts: 3, lastResponseStatus: 503 });
    expect(hook.received).toHaveLength(9);
    expect(new Set(hook.received.map((r) => r.headers['webhook-id']))).toEqual(new Set(dead.data.map((d) => d.eventId)));

    // Each attempt is kept: time, duration, status and the first bytes of the answer.
    const history = await client.events.attempts(dead.data[0].eventId);
    expect(history.data.map((a) => a.attempt)).toEqual([1, 2, 3]);
    for (const attempt of history.data) {
      expect(attempt).toMatchObject({ endpointId: created.id, status: 'failed', responseStatus: 503, errorKind: 'http_status', responseBody: 'no' });
      expect(attempt.durationMs).toEqual(expect.any(Number));
      expect(Date.parse(attempt.at)).not.toBeNaN();
    }

    hook.always({ status: 200 });
    const recovered = await client.webhookEndpoints.recover(created.id, { since });
    expect(recovered).toMatchObject({ endpointId: created.id, recovered: 3 });
    await hook.waitFor('the three recovered deliveries', () => hook.received.filter((r) => r.answered === 200).length >= 3, 15_000);
    const arrived = hook.received.filter((r) => r.answered === 200);
    expect(arrived).toHaveLength(3);
    // Same webhook-id as the failed attempts: the consumer sees the same events again, signed.
    expect(new Set(arrived.map((r) => r.headers['webhook-id']))).toEqual(new Set(dead.data.map((d) => d.eventId)));
    expect(new Set(arrived.map((r) => (r.payload as { data: { id: string } }).data.id))).toEqual(new Set(payments));
    expect(arrived.every((r) => r.verifyError === null)).toBe(true);
    await until('no dead letters left', () => client.webhookEndpoints.deadLetters(created.id), (page) => page.data.length === 0);
    expect((await client.webhookEndpoints.recover(created.id, { since })).recovered).toBe(0);
  });

  it("isolation: an endpoint that hangs holds at most its cap of requests, and the healthy endpoint beside it receives its whole burst while every hanging request is still open", async () => {
    const CAP = 5;
    const BURST = 200;
    const { owner, client } = await account();
    // The hanging endpoint answers nothing until the test lets it: however long the healthy burst takes, the
    // hanging requests are open all that time (the 10 s / 2,000-event timing is bench/webhook-fairness.js).
    const hanging = await receiver();
    hanging.always({ status: 200, hold: true });
    const healthy = await receiver();
    const slow = await subscribe(client, hanging);
    const fast = await subscribe(client, healthy);
    // The burst straight into the outbox tables, not yet queued (as a gateway leaves them when Redis was down at
    // commit): the worker's first sweep queues them all at once, the hanging endpoint's first. Without isolation
    // they would take every worker slot, and the healthy endpoint would get nothing while they hang.
    const tag = randomBytes(4).toString('hex');
    await db.query(
      `INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, sequence, data, created_at)
       SELECT 'evt_f' || $1 || lpad(g::text, 16, '0'), $2, 'payment.succeeded', 'pay_f' || $1 || g, 'pay_f' || $1 || g || ':1:payment.succeeded', 1,
              jsonb_build_object('object', 'payment', 'id', 'pay_f' || $1 || g), now()
         FROM generate_series(1, $3::int) g`,
      [tag, owner, BURST],
    );
    for (const [endpointId, due] of [[slow.id, '-1 second'], [fast.id, '0 seconds']]) {
      await db.query(
        `INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, created_at, updated_at)
         SELECT id, $2, 'pending', 0, 0, now() + $3::interval, now(), now() FROM events WHERE id LIKE 'evt_f' || $1 || '%'`,
        [tag, endpointId, due],
      );
    }
    await worker({ WORKER_CONCURRENCY: '50', WEBHOOK_ENDPOINT_CONCURRENCY: String(CAP), WEBHOOK_TIMEOUT_MS: '60000' });

    await healthy.waitFor(`${BURST} deliveries to the healthy endpoint while the other hangs`, () => healthy.uniqueIds().size === BURST, 25_000);
    const started = Math.min(...hanging.received.map((r) => r.at));
    console.log(`healthy burst of ${BURST} done ${Math.max(...healthy.received.map((r) => r.at)) - started} ms after the first hanging request`);
    expect(healthy.received.every((r) => r.verifyError === null)).toBe(true);
    expect(healthy.received).toHaveLength(BURST);
    // The hanging endpoint was tried, never with more than its cap at once, and every request it got is still open.
    expect(hanging.received.length).toBeGreaterThanOrEqual(1);
    expect(hanging.maxOpen).toBeLessThanOrEqual(CAP);
    expect(hanging.open).toBe(hanging.received.length);

    // Once it answers, its own backlog moves on, still at most CAP at a time.
    const before = hanging.received.length;
    hanging.always({ status: 200 });
    hanging.release();
    await hanging.waitFor('the hanging endpoint to get more of its deliveries', () => hanging.received.length >= before + CAP, 15_000);
    expect(hanging.maxOpen).toBeLessThanOrEqual(CAP);
  });

  it("disabling: an endpoint failing for WEBHOOK_DISABLE_AFTER is disabled, only its owner's other endpoints get endpoint.disabled, the API shows it with failingSince, and deliveries resume once it is enabled again", async () => {
    await worker({ WEBHOOK_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms,300ms,300ms', WEBHOOK_DISABLE_AFTER: '1s', WEBHOOK_CIRCUIT_THRESHOLD: '1000' });
    const { client } = await account();
    const failing = await receiver();
    failing.always({ status: 500 });
    const watcher = await receiver();
    const bad = await subscribe(client, failing);
    const good = await subscribe(client, watcher, ['endpoint.disabled']);
    // Another owner's endpoint and an admin endpoint subscribed to endpoint.disabled: neither hears of this one.
    const stranger = await account();
    const strangerHook = await receiver();
    await subscribe(stranger.client, strangerHook, ['endpoint.disabled']);
    const adminHook = await receiver();
    await subscribe(stack.clientFor(ADMIN_KEY), adminHook, ['payment.created', 'endpoint.disabled']);

    const startedFailing = Date.now();
    const first = await pay(client);
    const streak = await until('failingSince on the endpoint', () => client.webhookEndpoints.get(bad.id), (e) => e.failingSince !== null);
    expect(Date.parse(streak.failingSince!)).toBeGreaterThanOrEqual(startedFailing - 1000);
    await watcher.waitFor('endpoint.disabled', () => watcher.received.length >= 1, 15_000);
    const notice = watcher.received[0];
    expect(notice.verifyError).toBeNull();
    expect(notice.payload).toMatchObject({ type: 'endpoint.disabled', data: { id: bad.id, enabled: false, failingSince: streak.failingSince } });

    const shown = await client.webhookEndpoints.get(bad.id);
    expect(shown).toMatchObject({ enabled: false, failingSince: streak.failingSince, disabledReason: expect.stringContaining('every attempt failed since') });
    expect(Date.parse(shown.disabledAt!) - Date.parse(shown.failingSince!)).toBeGreaterThanOrEqual(1000);
    expect((await client.webhookEndpoints.list()).data.find((e) => e.id === bad.id)).toMatchObject({ enabled: false, disabledAt: shown.disabledAt });
    const failedAttempts = failing.received.length;
    expect(failedAttempts).toBeGreaterThanOrEqual(2);

    // The event went to the owner's other endpoint only: not to the disabled one, another owner's or the admin's.
    const event = (await client.events.list({ type: 'endpoint.disabled' })).data;
    expect(event).toHaveLength(1);
    const { rows } = await db.query(`SELECT endpoint_id FROM webhook_deliveries WHERE event_id = $1`, [event[0].id]);
    expect(rows.map((row) => row.endpoint_id)).toEqual([good.id]);
    await adminHook.waitFor("the admin endpoint's payment.created", () => !!about(adminHook, first), 15_000);
    expect(adminHook.received.some((r) => (r.payload as { type?: string } | null)?.type === 'endpoint.disabled')).toBe(false);
    expect(strangerHook.received).toHaveLength(0);

    // Disabled, it gets no delivery for a new event.
    const whileDisabled = await pay(client);
    const { rows: none } = await db.query(
      `SELECT count(*)::int AS n FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE d.endpoint_id = $1 AND e.resource_id = $2`,
      [bad.id, whileDisabled],
    );
    expect(none[0].n).toBe(0);

    failing.always({ status: 200 });
    const enabled = await client.webhookEndpoints.update(bad.id, { enabled: true });
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null, failingSince: null });
    const after = await pay(client);
    await failing.waitFor('a delivery after enabling it again', () => about(failing, after)?.answered === 200, 15_000);
    expect(about(failing, after)!.verifyError).toBeNull();
    expect((await client.webhookEndpoints.get(bad.id)).failingSince).toBeNull();
  });

  it('retention: the running worker deletes old events (with deliveries and attempts), old attempts, inbound notifications and idempotency keys in batches, and keeps recent ones', async () => {
    const { owner, client } = await account();
    const hook = await receiver();
    const created = await subscribe(client, hook);
    // A payment through the API: its event, delivery, attempt and idempotency key are recent and must stay. (It is
    // delivered once the worker below starts.)
    const recentPayment = await pay(client);
    const tag = randomBytes(4).toString('hex');
    const seed = retentionSeeder((sql, params) => db.query(sql, params), { tag, owner, endpointId: created.id, idPrefix: 'r' });
    // Old finished events, old events whose delivery is still pending (kept), recent events; each delivery has an
    // attempt 3 h old and a recent one.
    await seed('old', 12, '3 days', 'succeeded');
    await seed('oldpending', 2, '3 days', 'pending');
    await seed('new', 3, '1 minute', 'failed');
    await db.query(
      `INSERT INTO inbound_webhooks (provider, dedupe_key, outcome, received_at)
       SELECT 'flexiqash', 'r' || $1 || g, 'applied', now() - CASE WHEN g <= 8 THEN interval '2 days' ELSE interval '1 minute' END FROM generate_series(1, 11) g`,
      [tag],
    );
    await db.query(
      `INSERT INTO idempotency_keys (owner_id, key, fingerprint, state, response_status, response_body, created_at)
       SELECT $1, 'r' || $2 || g, 'f', CASE WHEN g = 1 THEN 'running' ELSE 'done' END, 200, '{}'::jsonb,
              now() - CASE WHEN g <= 6 THEN interval '3 days' ELSE interval '1 minute' END
         FROM generate_series(1, 8) g`,
      [owner, tag],
    );
    const count = async (sql: string, params: unknown[] = [tag]) => (await db.query(sql, params)).rows[0].n as number;
    const oldEvents = () => count(`SELECT count(*)::int AS n FROM events WHERE id LIKE 'evt_r' || $1 || 'old0%'`);
    const oldAttempts = () => count(`SELECT count(*)::int AS n FROM webhook_attempts WHERE endpoint_id = $1 AND at < now() - interval '2 hours'`, [created.id]);
    const oldInbound = () => count(`SELECT count(*)::int AS n FROM inbound_webhooks WHERE dedupe_key LIKE 'r' || $1 || '%' AND received_at < now() - interval '1 day'`);
    const oldKeys = () => count(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key LIKE 'r' || $1 || '%' AND state = 'done' AND created_at < now() - interval '2 days'`);
    expect([await oldEvents(), await oldAttempts(), await oldInbound(), await oldKeys()]).toEqual([12, 17, 8, 5]);

    // Periods as short as configuration allows for the seeded ages; a pass every 200 ms, 5 rows per statement.
    await worker({
      RETENTION_EVENTS: '1h',
      RETENTION_ATTEMPTS: '1h',
      RETENTION_INBOUND_WEBHOOKS: '1h',
      RETENTION_IDEMPOTENCY_KEYS: '24h',
      RETENTION_INTERVAL: '200ms',
      RETENTION_BATCH_SIZE: '5',
    });
    await hook.waitFor('the recent delivery', () => !!about(hook, recentPayment), 15_000);
    await until(
      'the old rows deleted',
      async () => [await oldEvents(), await oldAttempts(), await oldInbound(), await oldKeys()],
      (left) => left.every((n) => n === 0),
    );
    // Kept: the old events still pending (with their deliveries), the recent ones, the running key, and what the
    // API wrote a moment ago.
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE id LIKE 'evt_r' || $1 || 'oldpending%'`)).toBe(2);
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE id LIKE 'evt_r' || $1 || 'new%'`)).toBe(3);
    expect(await count(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_id LIKE 'evt_r' || $1 || '%'`)).toBe(5);
    expect(await count(`SELECT count(*)::int AS n FROM webhook_attempts WHERE event_id LIKE 'evt_r' || $1 || '%'`)).toBe(5);
    expect(await count(`SELECT count(*)::int AS n FROM inbound_webhooks WHERE dedupe_key LIKE 'r' || $1 || '%'`)).toBe(3);
    expect(await count(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key LIKE 'r' || $1 || '%'`)).toBe(3);
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE resource_id = $1`, [recentPayment])).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM webhook_attempts WHERE endpoint_id = $1 AND event_id NOT LIKE 'evt_r%'`, [created.id])).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM idempotency_keys WHERE owner_id = $1 AND key NOT LIKE 'r' || $2 || '%'`, [owner, tag])).toBeGreaterThanOrEqual(1);
    // The API reads the same: the recent event is listed, with its attempt.
    const listed = (await client.events.list({ limit: 50 })).data.find((e) => (e.data as { id?: string }).id === recentPayment);
    expect(listed).toBeDefined();
    expect((await client.events.attempts(listed!.id)).data).toHaveLength(1);
  });
});
