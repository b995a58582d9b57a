// Storage per payment and the cost of retention's batched deletes, measured on a database of its own (created,
// migrated by the built gateway, dropped at the end) on the machine's Postgres. Run: node bench/retention-storage.js
// [events] (default 100000). Rows are shaped like the gateway's: a payment object as event data, two subscribed
// endpoints per event, 1.1 attempts per delivery, one inbound notification and one idempotency key per payment.
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Client } = require('pg');

const EVENTS = Number(process.argv[2] || 100_000);
const EVENTS_PER_PAYMENT = 2; // payment.created and payment.succeeded
const BATCH = 1000;
const base = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
const name = `paygw_retention_bench_${process.pid}`;
const target = new URL(base.toString());
target.pathname = `/${name}`;
const admin = new URL(base.toString());
admin.pathname = '/postgres';

const PAYMENT = {
  id: 'pay_01jd3k9x7w8r5q2m4n6p8s0t1v', object: 'payment', provider: 'flexiqash', providerPaymentId: '3f2b8c1e-6a7d-4e59-9b0a-2c4d6e8f0a1b',
  amount: 12399, currency: 'USD', status: 'succeeded', description: 'Order 10482', reference: 'order-10482',
  checkoutUrl: 'https://pay.flexiqash.example/checkout/3f2b8c1e-6a7d-4e59-9b0a-2c4d6e8f0a1b',
  payer: { name: 'Ada Obi', email: 'ada@example.com' }, payee: { reference: 'order-10482' }, metadata: { orderId: '10482' },
  archived: false, createdAt: '2024-11-22T01:46:40.000Z', updatedAt: '2024-11-22T01:47:02.000Z',
};

async function main() {
  const root = new Client({ connectionString: admin.toString() });
  await root.connect();
  await root.query(`CREATE DATABASE "${name}"`);
  const db = new Client({ connectionString: target.toString() });
  try {
    const migrated = spawnSync(process.execPath, [path.join(__dirname, '../dist/apps/gateway/main.js'), 'migrate'], {
      env: { ...process.env, DATABASE_URL: target.toString(), NODE_ENV: 'test' },
      encoding: 'utf8',
    });
    if (migrated.status !== 0) throw new Error(migrated.stderr || migrated.stdout);
    await db.connect();
    const payments = EVENTS / EVENTS_PER_PAYMENT;
    const started = Date.now();
    await db.query(`INSERT INTO webhook_endpoints (id, owner_id, url, events, secret, secret_key_id, enabled, created_at, updated_at)
                    SELECT 'we_' || lpad(g::text, 26, '0'), 'key_bench', 'https://orders.internal/hooks/' || g, ARRAY['*'], repeat('x', 80), 'k1', true, now(), now()
                      FROM generate_series(1, 2) g`);
    await db.query(
      `INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, sequence, data, created_at)
       SELECT 'evt_' || lpad(g::text, 26, '0'), 'key_01jd3k9x7w8r5q2m4n6p8s0t1v',
              CASE WHEN g % 2 = 0 THEN 'payment.succeeded' ELSE 'payment.created' END,
              'pay_' || lpad((g / 2)::text, 26, '0'), 'pay_' || lpad((g / 2)::text, 26, '0') || ':' || g % 2 || ':' || g,
              g % 2, $1::jsonb || jsonb_build_object('id', 'pay_' || lpad((g / 2)::text, 26, '0')), now() - interval '40 days'
         FROM generate_series(1, $2::int) g`,
      [JSON.stringify(PAYMENT), EVENTS],
    );
    await db.query(`INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, enqueued_at, created_at, updated_at)
                    SELECT e.id, w.id, 'succeeded', 0, 1, e.created_at, e.created_at, e.created_at, e.created_at FROM events e, webhook_endpoints w`);
    await db.query(`INSERT INTO webhook_attempts (event_id, endpoint_id, attempt, status, response_status, duration_ms, error, error_kind, response_body, at)
                    SELECT event_id, endpoint_id, 1, 'succeeded', 200, 35, NULL, NULL, 'ok', created_at FROM webhook_deliveries
                    UNION ALL
                    SELECT event_id, endpoint_id, 2, 'failed', 503, 120, 'responded 503', 'http_status', repeat('m', 200), created_at
                      FROM webhook_deliveries WHERE hashtext(event_id) % 10 = 0`);
    await db.query(`INSERT INTO inbound_webhooks (provider, dedupe_key, payment_id, outcome, received_at)
                    SELECT 'flexiqash', 'ntf_' || md5(g::text), 'pay_' || lpad(g::text, 26, '0'), 'applied', now() - interval '40 days' FROM generate_series(1, $1::int) g`, [payments]);
    await db.query(`INSERT INTO idempotency_keys (owner_id, key, fingerprint, state, response_status, response_body, created_at)
                    SELECT 'key_01jd3k9x7w8r5q2m4n6p8s0t1v', gen_random_uuid()::text, md5(g::text) || md5(g::text), 'done', 201, $1::jsonb, now() - interval '3 days'
                      FROM generate_series(1, $2::int) g`, [JSON.stringify({ ...PAYMENT, status: 'pending' }), payments]);
    await db.query('VACUUM ANALYZE');
    console.log(`seeded ${EVENTS} events (${payments} payments) in ${Date.now() - started} ms`);

    const tables = ['events', 'webhook_deliveries', 'webhook_attempts', 'inbound_webhooks', 'idempotency_keys'];
    let perPayment = 0;
    for (const table of tables) {
      const { rows } = await db.query(`SELECT pg_total_relation_size($1) AS bytes, (SELECT count(*) FROM ${table})::int AS n`, [table]);
      const bytes = Number(rows[0].bytes);
      perPayment += bytes / payments;
      console.log(`${table.padEnd(20)} ${String(rows[0].n).padStart(8)} rows  ${(bytes / 1048576).toFixed(1).padStart(7)} MiB  ${(bytes / rows[0].n).toFixed(0).padStart(5)} B/row  ${(bytes / payments).toFixed(0).padStart(5)} B/payment`);
    }
    console.log(`total per payment: ${perPayment.toFixed(0)} B; a million payments a day: ${((perPayment * 1e6) / 1073741824).toFixed(2)} GiB/day`);

    // The retention statements of apps/worker/src/retention/retention.repository.ts, timed per batch.
    const deleteEvents = `WITH doomed AS (
         SELECT e.id FROM events e WHERE e.created_at < now() - interval '30 days'
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
          ORDER BY e.created_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED
       ), gone_attempts AS (DELETE FROM webhook_attempts a USING doomed WHERE a.event_id = doomed.id RETURNING 1
       ), gone_deliveries AS (DELETE FROM webhook_deliveries d USING doomed WHERE d.event_id = doomed.id RETURNING 1
       ), gone_events AS (DELETE FROM events e USING doomed WHERE e.id = doomed.id RETURNING 1)
       SELECT (SELECT count(*)::int FROM gone_events) AS n`;
    const timings = [];
    let removed = 0;
    const t0 = Date.now();
    for (;;) {
      const t = process.hrtime.bigint();
      const { rows } = await db.query(deleteEvents);
      timings.push(Number(process.hrtime.bigint() - t) / 1e6);
      removed += rows[0].n;
      if (rows[0].n < BATCH) break;
    }
    timings.sort((a, b) => a - b);
    const pct = (p) => timings[Math.min(timings.length - 1, Math.floor(timings.length * p))].toFixed(1);
    console.log(`retention: ${removed} events with their deliveries and attempts in ${timings.length} batches of ${BATCH}, ${Date.now() - t0} ms ` +
      `(${Math.round((removed * 1000) / (Date.now() - t0))} events/s); per batch p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${timings[timings.length - 1].toFixed(1)} ms`);
  } finally {
    await db.end().catch(() => undefined);
    await root.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await root.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
