import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook } from '@app/client';
import { DeliveryRelay } from '@app/outbox';
import { WebhookRepository } from '@app/persistence';
import { ADMIN_KEY, startInProcessGateway, InProcessGateway } from '../support/in-process';
import { startInProcessWorker, InProcessWorker } from '../support/in-process-worker';
import { Receiver } from '../support/receiver';
import { eventually } from '../support/services';
import { RetentionService } from '../../apps/worker/src/retention/retention.service';
import { testQueuePrefix } from '../support/env';
import { retentionSeeder } from '../support/retention-rows';

// The gateway's and the worker's real module graphs in this process, on this run's Postgres and a Redis queue prefix
// of their own, delivering over HTTP to local receivers that verify like a consumer (the `standardwebhooks` package).
// Each test works under an API key of its own, so only its own endpoints receive its events.

const PLACEHOLDER = `whsec_${Buffer.alloc(32).toString('base64')}`;
let prefixes = 0;

describe('outbound webhooks', () => {
  const receivers: Receiver[] = [];
  const running: Array<{ close(): Promise<void> }> = [];

  async function receiver(): Promise<Receiver> {
    const started = await Receiver.start(PLACEHOLDER);
    receivers.push(started);
    return started;
  }

  /** A gateway and a worker on one queue prefix; `env` goes to both. */
  async function stack(env: Record<string, string> = {}): Promise<{ gw: InProcessGateway; worker: InProcessWorker }> {
    const prefix = testQueuePrefix(`owh-${++prefixes}`);
    const shared = { QUEUE_PREFIX: prefix, WEBHOOK_ALLOW_PRIVATE_URLS: 'true', ...env };
    const gw = await startInProcessGateway({ env: shared });
    running.push(gw);
    const worker = await startInProcessWorker(shared);
    running.unshift(worker);
    return { gw, worker };
  }

  async function endpoint(gw: InProcessGateway, key: string, url: string, events: string[] = ['*']) {
    const created = await gw.request('POST', '/v1/webhook-endpoints', { key, body: { url, events } });
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string };
  }

  async function payment(gw: InProcessGateway, key: string): Promise<string> {
    const created = await gw.request('POST', '/v1/payments', { key, body: { amount: 1234, currency: 'USD', description: 'webhook test' } });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  afterEach(async () => {
    // Receivers first: a request held open would keep the worker's shutdown waiting for it.
    for (const r of receivers.splice(0)) await r.close();
    for (const r of running.splice(0)) await r.close();
  });

  it('stores endpoint secrets sealed: no whsec_ nor any secret appears in a dump of the table', async () => {
    const { gw } = await stack();
    const key = await gw.newKey();
    const secrets = [];
    for (let i = 0; i < 3; i++) secrets.push((await endpoint(gw, key, `http://127.0.0.1:9/hook${i}`)).secret);
    const rotated = await gw.request('POST', `/v1/webhook-endpoints/${(await gw.request('GET', '/v1/webhook-endpoints', { key })).body.data[0].id}/rotate-secret`, { key });
    expect(rotated.status).toBe(200);
    secrets.push(rotated.body.secret);
    // What pg_dump would write for the table: every column of every row, as text.
    const { rows } = await gw.db.query(`SELECT row_to_json(e)::text AS line FROM webhook_endpoints e`);
    const dump = rows.map((row) => row.line).join('\n');
    expect(dump).not.toContain('whsec_');
    for (const secret of secrets) expect(dump).not.toContain(secret.slice('whsec_'.length));
    const stored = await gw.db.query(`SELECT secret_key_id FROM webhook_endpoints WHERE owner_id = (SELECT id FROM api_keys ORDER BY created_at DESC LIMIT 1)`);
    expect(stored.rows.every((row) => row.secret_key_id === 'dev')).toBe(true);
    // Nor does any read of the API list it.
    const listed = await gw.request('GET', '/v1/webhook-endpoints', { key });
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
  });

  it('an endpoint created with an Idempotency-Key: the stored answer holds no secret, and the replay says the secret was shown once', async () => {
    const { gw } = await stack();
    const key = await gw.newKey();
    const headers = { 'idempotency-key': `owh-${randomBytes(6).toString('hex')}` };
    const body = { url: 'http://127.0.0.1:9/idem', events: ['*'] };
    const first = await gw.request('POST', '/v1/webhook-endpoints', { key, body, headers });
    expect(first.status).toBe(201);
    const replay = await gw.request('POST', '/v1/webhook-endpoints', { key, body, headers });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual({ ...first.body, secret: null });
    expect(replay.headers['idempotent-secret-omitted']).toBe('secret');
    const { rows } = await gw.db.query(`SELECT response_body::text AS body FROM idempotency_keys WHERE key = $1`, [headers['idempotency-key']]);
    expect(rows).toHaveLength(1);
    expect(rows[0].body).not.toContain('whsec_');
    expect(rows[0].body).not.toContain(first.body.secret.slice(6));
  });

  it('rotates a secret: during the grace period each delivery is signed by both, verified by standardwebhooks with either; then by the new one only', async () => {
    const { gw } = await stack();
    const key = await gw.newKey();
    const hook = await receiver();
    const created = await endpoint(gw, key, hook.url);
    const oldSecret = created.secret;
    const paymentId = await payment(gw, key);
    await hook.waitFor('the first delivery', () => hook.received.length >= 1);

    const rotated = await gw.request('POST', `/v1/webhook-endpoints/${created.id}/rotate-secret`, { key });
    expect(rotated.status).toBe(200);
    const newSecret: string = rotated.body.secret;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(23 * 3_600_000);

    const cancelled = await gw.request('DELETE', `/v1/payments/${paymentId}`, { key });
    expect(cancelled.status).toBe(200);
    await hook.waitFor('the delivery after the rotation', () => hook.received.length >= 2);
    const during = hook.received[1];
    expect(during.headers['webhook-signature'].split(' ')).toHaveLength(2);
    const body = new Webhook(newSecret).verify(during.rawBody, during.headers) as any;
    expect(new Webhook(oldSecret).verify(during.rawBody, during.headers)).toEqual(body);
    expect(verifyWebhook(during.rawBody, during.headers, oldSecret)).toEqual(body);
    expect(verifyWebhook(during.rawBody, during.headers, [newSecret, oldSecret])).toEqual(body);
    // Every event carries the resource's version: the cancel comes after the creation.
    const first = JSON.parse(hook.received[0].rawBody);
    expect(first.sequence).toEqual(expect.any(Number));
    expect(body.sequence).toBeGreaterThan(first.sequence);
    expect(body.data.id).toBe(paymentId);

    // The grace period over: the old secret no longer signs.
    await gw.db.query(`UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`, [created.id]);
    const event = (await gw.request('GET', `/v1/events?limit=1`, { key })).body.data[0];
    expect((await gw.request('POST', `/v1/events/${event.id}/redeliver`, { key, body: { endpointId: created.id } })).status).toBe(202);
    await hook.waitFor('the delivery after the grace period', () => hook.received.length >= 3);
    const after = hook.received[2];
    expect(after.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(new Webhook(newSecret).verify(after.rawBody, after.headers)).toMatchObject({ id: event.id });
    expect(() => new Webhook(oldSecret).verify(after.rawBody, after.headers)).toThrow();
    // webhook-id stays the event's id across a redelivery.
    expect(after.headers['webhook-id']).toBe(event.id);
  });

  it("rotate-secret, recover and dead-letters answer 404 for another key's endpoint and 422 for a bad since, changing nothing", async () => {
    const { gw } = await stack();
    const owner = await gw.newKey();
    const stranger = await gw.newKey();
    const created = await endpoint(gw, owner, 'http://127.0.0.1:9/hook');
    const before = (await gw.db.query(`SELECT secret FROM webhook_endpoints WHERE id = $1`, [created.id])).rows[0].secret;
    expect((await gw.request('POST', `/v1/webhook-endpoints/${created.id}/rotate-secret`, { key: stranger })).status).toBe(404);
    expect((await gw.request('POST', `/v1/webhook-endpoints/${created.id}/recover`, { key: stranger, body: { since: '2024-01-01T00:00:00Z' } })).status).toBe(404);
    expect((await gw.request('GET', `/v1/webhook-endpoints/${created.id}/dead-letters`, { key: stranger })).status).toBe(404);
    for (const since of ['yesterday', '', 42, '2999-01-01T00:00:00Z']) {
      const answer = await gw.request('POST', `/v1/webhook-endpoints/${created.id}/recover`, { key: owner, body: { since } });
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.body.error).toMatchObject({ type: 'invalid_request' });
    }
    expect((await gw.request('GET', `/v1/webhook-endpoints/${created.id}/dead-letters?before=soon`, { key: owner })).status).toBe(422);
    expect((await gw.db.query(`SELECT secret FROM webhook_endpoints WHERE id = $1`, [created.id])).rows[0].secret).toBe(before);
  });

  it('lists dead letters, shows each attempt with status, duration and the first 1 KB of the answer, and recovers failed deliveries since a time', async () => {
    const { gw } = await stack({ WEBHOOK_RETRY_SCHEDULE: '50ms,50ms', WEBHOOK_CIRCUIT_THRESHOLD: '1000' });
    const key = await gw.newKey();
    const hook = await receiver();
    hook.always({ status: 503, headers: { 'x-why': 'maintenance' } });
    const created = await endpoint(gw, key, hook.url);
    hook.useSecret(created.secret);
    const since = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 3; i++) await payment(gw, key);
    const dead = await eventually(
      async () => (await gw.request('GET', `/v1/webhook-endpoints/${created.id}/dead-letters?limit=10`, { key })).body,
      (page) => page.data?.length === 3,
      15_000,
    );
    expect(dead.data[0]).toMatchObject({ eventType: 'payment.created', attempts: 3, lastResponseStatus: 503, lastError: 'responded 503' });
    expect(hook.received).toHaveLength(9);

    const attempts = await gw.request('GET', `/v1/events/${dead.data[0].eventId}/attempts`, { key });
    expect(attempts.status).toBe(200);
    expect(attempts.body.data).toHaveLength(3);
    expect(attempts.body.data[0]).toMatchObject({
      endpointId: created.id,
      attempt: 1,
      status: 'failed',
      responseStatus: 503,
      errorKind: 'http_status',
      responseBody: 'no',
      durationMs: expect.any(Number),
      at: expect.stringMatching(/Z$/),
    });
    // Another key sees none of them.
    const stranger = await gw.newKey();
    expect((await gw.request('GET', `/v1/events/${dead.data[0].eventId}/attempts`, { key: stranger })).status).toBe(404);

    hook.always({ status: 200 });
    const recovered = await gw.request('POST', `/v1/webhook-endpoints/${created.id}/recover`, { key, body: { since } });
    expect(recovered.status).toBe(202);
    expect(recovered.body).toMatchObject({ endpointId: created.id, recovered: 3 });
    await hook.waitFor('the three recovered deliveries', () => hook.received.filter((r) => r.answered === 200).length === 3);
    expect(new Set(hook.received.filter((r) => r.answered === 200).map((r) => r.headers['webhook-id']))).toEqual(new Set(dead.data.map((d: any) => d.eventId)));
    expect(hook.received.every((r) => r.verifyError === null)).toBe(true);
    await eventually(
      async () => (await gw.request('GET', `/v1/webhook-endpoints/${created.id}/dead-letters`, { key })).body.data.length,
      (n) => n === 0,
    );
    // A second recover finds nothing left to send.
    expect((await gw.request('POST', `/v1/webhook-endpoints/${created.id}/recover`, { key, body: { since } })).body.recovered).toBe(0);
  });

  it("disables an endpoint failing for WEBHOOK_DISABLE_AFTER, tells the owner's other endpoints (endpoint.disabled), and enables it again", async () => {
    const { gw } = await stack({ WEBHOOK_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms,300ms,300ms', WEBHOOK_DISABLE_AFTER: '1s', WEBHOOK_CIRCUIT_THRESHOLD: '1000' });
    const key = await gw.newKey();
    const failing = await receiver();
    failing.always({ status: 500 });
    const watcher = await receiver();
    // The admin's endpoints hear of every payment, but not of another owner's endpoint being disabled.
    const adminHook = await receiver();
    const admin = await endpoint(gw, ADMIN_KEY, adminHook.url, ['payment.created', 'endpoint.disabled']);
    adminHook.useSecret(admin.secret);
    // Disabled whatever happens below: an enabled admin endpoint would receive every later test's payments.
    running.unshift({ close: async () => void (await gw.db.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = $1`, [admin.id])) });
    const bad = await endpoint(gw, key, failing.url);
    const good = await endpoint(gw, key, watcher.url, ['endpoint.disabled']);
    watcher.useSecret(good.secret);
    const failingFrom = Date.now();
    const paid = await payment(gw, key);
    // While it fails and is not yet disabled, the API shows since when every attempt failed.
    const streak = await eventually(
      async () => (await gw.request('GET', `/v1/webhook-endpoints/${bad.id}`, { key })).body,
      (shown) => shown.failingSince !== null,
      10_000,
    );
    expect(Date.parse(streak.failingSince)).toBeGreaterThanOrEqual(failingFrom - 1000);
    await watcher.waitFor('endpoint.disabled', () => watcher.received.length >= 1, 15_000);
    const notice = watcher.received[0];
    expect(notice.verifyError).toBeNull();
    expect(notice.payload).toMatchObject({ type: 'endpoint.disabled', data: { id: bad.id, enabled: false } });
    const shown = (await gw.request('GET', `/v1/webhook-endpoints/${bad.id}`, { key })).body;
    expect(shown).toMatchObject({
      enabled: false,
      disabledReason: expect.stringContaining('every attempt failed since'),
      failingSince: streak.failingSince,
      disabledAt: expect.stringMatching(/Z$/),
    });
    const listed = (await gw.request('GET', '/v1/webhook-endpoints', { key })).body.data.find((e: any) => e.id === bad.id);
    expect(listed).toMatchObject({ enabled: false, failingSince: streak.failingSince, disabledAt: shown.disabledAt });
    expect((await gw.db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND event_id IN (SELECT id FROM events WHERE type = 'endpoint.disabled')`, [admin.id])).rows[0].n).toBe(0);
    await adminHook.waitFor("the admin endpoint's payment.created", () => adminHook.received.some((r) => (r.payload as any)?.data?.id === paid), 10_000);
    expect(adminHook.received.filter((r) => (r.payload as any)?.type === 'endpoint.disabled')).toEqual([]);
    const attemptsWhenDisabled = failing.received.length;
    expect(attemptsWhenDisabled).toBeGreaterThanOrEqual(2);

    // Disabled: nothing more is sent to it.
    await payment(gw, key);
    const events = (await gw.request('GET', '/v1/events?type=endpoint.disabled', { key })).body.data;
    expect(events).toHaveLength(1);

    failing.always({ status: 200 });
    const enabled = await gw.request('PATCH', `/v1/webhook-endpoints/${bad.id}`, { key, body: { enabled: true } });
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null, failingSince: null });
    expect((await gw.db.query(`SELECT failing_since FROM webhook_endpoints WHERE id = $1`, [bad.id])).rows[0].failing_since).toBeNull();
    // The delivery that was still pending when it was disabled goes out once it is enabled again.
    await failing.waitFor('a delivery after enabling', () => failing.received.some((r) => r.answered === 200), 15_000);
  });

  it("a PATCH of the description does not put back the endpoint state it read: the worker's disabling and streak stay", async () => {
    const { gw } = await stack();
    const key = await gw.newKey();
    const created = await endpoint(gw, key, 'http://127.0.0.1:9/hook');
    const repository = gw.get<WebhookRepository>(WebhookRepository);
    // The gateway has read the endpoint (enabled, healthy) when the worker disables it for sustained failure.
    const read = (await repository.findEndpoint(created.id, null))!;
    await gw.db.query(
      `UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'every attempt failed since x', disabled_at = now(), failing_since = now() - interval '5 days' WHERE id = $1`,
      [created.id],
    );
    read.description = 'renamed';
    read.updatedAt = new Date();
    await repository.saveEndpoint(read);
    const { rows } = await gw.db.query(`SELECT enabled, disabled_reason, disabled_at, failing_since, description FROM webhook_endpoints WHERE id = $1`, [created.id]);
    expect(rows[0]).toMatchObject({ enabled: false, disabled_reason: 'every attempt failed since x', description: 'renamed' });
    expect(rows[0].disabled_at).not.toBeNull();
    expect(rows[0].failing_since).not.toBeNull();
    // Through the API the same: a PATCH without `enabled` leaves the state alone.
    const patched = await gw.request('PATCH', `/v1/webhook-endpoints/${created.id}`, { key, body: { description: 'again' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ enabled: false, description: 'again', failingSince: expect.stringMatching(/Z$/) });
  });

  it("a hanging endpoint holds at most its cap of slots: the healthy endpoint beside it gets its whole burst while the hanging one's requests are still open", async () => {
    const { gw } = await stack({ WORKER_CONCURRENCY: '10', WEBHOOK_ENDPOINT_CONCURRENCY: '2', WEBHOOK_TIMEOUT_MS: '120000' });
    const key = await gw.newKey();
    const hanging = await receiver();
    hanging.always({ status: 200, delayMs: 600_000 });
    const healthy = await receiver();
    const slow = await endpoint(gw, key, hanging.url);
    const fast = await endpoint(gw, key, healthy.url);
    healthy.useSecret(fast.secret);
    const owner = (await gw.db.query(`SELECT owner_id FROM webhook_endpoints WHERE id = $1`, [slow.id])).rows[0].owner_id;
    const burst = 300;
    const tag = randomBytes(4).toString('hex');
    // The burst straight into the outbox tables (as the gateway's commits leave them), enqueued in one go: hanging
    // endpoint's deliveries first, so without isolation they would take every slot.
    await gw.db.query(
      `INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, sequence, data, created_at)
       SELECT 'evt_' || $1 || lpad(g::text, 22, '0'), $2, 'payment.succeeded', 'pay_' || $1 || g, $1 || g || ':1:payment.succeeded', 1,
              jsonb_build_object('object', 'payment', 'n', g), now()
         FROM generate_series(1, $3::int) g`,
      [tag, owner, burst],
    );
    const refs: Array<{ eventId: string; endpointId: string; generation: number }> = [];
    for (const endpointId of [slow.id, fast.id]) {
      const { rows } = await gw.db.query(
        `INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, created_at, updated_at)
         SELECT id, $2, 'pending', 0, 0, now(), now(), now() FROM events WHERE id LIKE 'evt_' || $1 || '%' ORDER BY id RETURNING event_id`,
        [tag, endpointId],
      );
      refs.push(...rows.map((row) => ({ eventId: row.event_id, endpointId, generation: 0 })));
    }
    await gw.get<DeliveryRelay>(DeliveryRelay).enqueue(refs);

    await healthy.waitFor(`${burst} deliveries to the healthy endpoint`, () => healthy.uniqueIds().size === burst, 50_000);
    expect(healthy.received.every((r) => r.verifyError === null)).toBe(true);
    // Every request the hanging endpoint got is still open, and there are no more of them than its cap.
    expect(hanging.received.length).toBeLessThanOrEqual(2);
    const pending = await gw.db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending'`, [slow.id]);
    expect(pending.rows[0].n).toBe(burst);
  });

  it('retention deletes old events (with their deliveries and attempts), attempts, inbound notifications and idempotency keys in batches, and keeps the rest', async () => {
    const { gw, worker } = await stack({ RETENTION_EVENTS: '1d', RETENTION_ATTEMPTS: '2h', RETENTION_INBOUND_WEBHOOKS: '1d', RETENTION_IDEMPOTENCY_KEYS: '48h', RETENTION_BATCH_SIZE: '7' });
    const key = await gw.newKey();
    const created = await endpoint(gw, key, 'http://127.0.0.1:9/hook');
    const owner = (await gw.db.query(`SELECT owner_id FROM webhook_endpoints WHERE id = $1`, [created.id])).rows[0].owner_id;
    const tag = randomBytes(4).toString('hex');
    // 20 old finished events, 2 old events with a delivery still pending, 5 recent events; each delivery has 2 attempts, one of them 3 h old.
    const seed = retentionSeeder((sql, params) => gw.db.query(sql, params), { tag, owner, endpointId: created.id, idPrefix: '' });
    await seed('old', 20, '3 days', 'succeeded');
    await seed('oldpending', 2, '3 days', 'pending');
    await seed('new', 5, '1 minute', 'failed');
    await gw.db.query(
      `INSERT INTO inbound_webhooks (provider, dedupe_key, outcome, received_at)
       SELECT 'flexiqash', $1 || g, 'applied', now() - CASE WHEN g <= 10 THEN interval '2 days' ELSE interval '1 hour' END FROM generate_series(1, 15) g`,
      [tag],
    );
    await gw.db.query(
      `INSERT INTO idempotency_keys (owner_id, key, fingerprint, state, response_status, response_body, created_at)
       SELECT $1, $2 || g, 'f', CASE WHEN g = 1 THEN 'running' ELSE 'done' END, 200, '{}'::jsonb, now() - interval '3 days' FROM generate_series(1, 4) g`,
      [owner, tag],
    );

    const counts = await worker.get<RetentionService>(RetentionService).runOnce();
    expect(counts.events).toBeGreaterThanOrEqual(20);
    const left = async (sql: string, params: unknown[]) => (await gw.db.query(sql, params)).rows[0].n;
    expect(await left(`SELECT count(*)::int AS n FROM events WHERE id LIKE 'evt_' || $1 || 'old0%'`, [tag])).toBe(0);
    expect(await left(`SELECT count(*)::int AS n FROM events WHERE id LIKE 'evt_' || $1 || 'oldpending%'`, [tag])).toBe(2);
    expect(await left(`SELECT count(*)::int AS n FROM events WHERE id LIKE 'evt_' || $1 || 'new%'`, [tag])).toBe(5);
    expect(await left(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1`, [created.id])).toBe(7);
    // Of the kept deliveries' attempts only the recent ones stay.
    expect(await left(`SELECT count(*)::int AS n FROM webhook_attempts WHERE endpoint_id = $1`, [created.id])).toBe(7);
    expect(await left(`SELECT count(*)::int AS n FROM inbound_webhooks WHERE dedupe_key LIKE $1 || '%'`, [tag])).toBe(5);
    // The key still running is kept: its request may yet complete.
    expect(await left(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key LIKE $1 || '%'`, [tag])).toBe(1);
  });
});
