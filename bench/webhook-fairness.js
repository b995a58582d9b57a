// Isolation between endpoints, measured with the built worker (dist/apps/worker/main.js, default settings): a burst
// of 2,000 events to a healthy endpoint alone, then the same burst to the healthy endpoint beside one that answers
// only after 10 s. Prints the healthy endpoint's commit→receipt p50/p99 in both runs. Uses a database and a queue
// prefix of its own (created and dropped here). Run: node bench/webhook-fairness.js [events]
const path = require('node:path');
const http = require('node:http');
const { spawn, spawnSync } = require('node:child_process');
const { Client } = require('pg');
const { Queue } = require('bullmq');

const EVENTS = Number(process.argv[2] || 2000);
const base = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const name = `paygw_fairness_bench_${process.pid}`;
const target = new URL(base.toString());
target.pathname = `/${name}`;
const admin = new URL(base.toString());
admin.pathname = '/postgres';
const ROOT = path.join(__dirname, '..');

function receiver(delayMs) {
  const arrivals = new Map();
  const server = http.createServer((req, res) => {
    const id = req.headers['webhook-id'];
    if (!arrivals.has(id)) arrivals.set(id, Date.now());
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(200).end('ok'), delayMs));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, arrivals, url: `http://127.0.0.1:${server.address().port}/hook` })));
}

const pct = (values, p) => values[Math.min(values.length - 1, Math.floor(values.length * p))];

async function run(db, queue, label, endpoints, healthy) {
  const tag = `${label}${Date.now()}`;
  const refs = [];
  const committed = Date.now();
  await db.query(
    `INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, sequence, data, created_at)
     SELECT 'evt_' || $1 || lpad(g::text, 8, '0'), 'key_bench', 'payment.succeeded', 'pay_' || $1 || g, $1 || g, 1, '{"object":"payment","amount":12399}', now()
       FROM generate_series(1, $2::int) g`,
    [tag, EVENTS],
  );
  for (const endpoint of endpoints) {
    const { rows } = await db.query(
      `INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, enqueued_at, created_at, updated_at)
       SELECT id, $2, 'pending', 0, 0, now(), now(), now(), now() FROM events WHERE id LIKE 'evt_' || $1 || '%' ORDER BY id RETURNING event_id`,
      [tag, endpoint.id],
    );
    refs.push(...rows.map((row) => ({ eventId: row.event_id, endpointId: endpoint.id, generation: 0 })));
  }
  const commitAt = Date.now();
  // As the gateway's relay adds them right after the commit (the hanging endpoint's first when it is there).
  for (let i = 0; i < refs.length; i += 500) {
    await queue.addBulk(
      refs.slice(i, i + 500).map((ref) => ({
        name: 'deliver',
        data: ref,
        opts: { jobId: `${ref.eventId}__${ref.endpointId}__g0`, attempts: 10, backoff: { type: 'webhook-schedule' }, removeOnComplete: true, removeOnFail: true },
      })),
    );
  }
  const deadline = Date.now() + 300_000;
  while (healthy.arrivals.size < EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const latencies = [...healthy.arrivals.values()].map((at) => at - commitAt).sort((a, b) => a - b);
  const line = `${label.padEnd(28)} healthy received ${latencies.length}/${EVENTS}; commit→receipt p50 ${pct(latencies, 0.5)} ms, p99 ${pct(latencies, 0.99)} ms, max ${latencies[latencies.length - 1]} ms (insert ${commitAt - committed} ms)`;
  console.log(line);
  healthy.arrivals.clear();
  return pct(latencies, 0.99);
}

async function main() {
  const root = new Client({ connectionString: admin.toString() });
  await root.connect();
  await root.query(`CREATE DATABASE "${name}"`);
  const db = new Client({ connectionString: target.toString() });
  const prefix = `paygw-fairbench-${process.pid}`;
  const queue = new Queue('webhook-deliveries', { prefix: `{${prefix}}`, connection: { url: REDIS_URL } });
  let worker;
  const servers = [];
  try {
    const migrated = spawnSync(process.execPath, [path.join(ROOT, 'dist/apps/gateway/main.js'), 'migrate'], {
      env: { ...process.env, DATABASE_URL: target.toString(), NODE_ENV: 'test' },
      encoding: 'utf8',
    });
    if (migrated.status !== 0) throw new Error(migrated.stderr || migrated.stdout);
    await db.connect();
    const healthy = await receiver(0);
    const hanging = await receiver(10_000);
    servers.push(healthy.server, hanging.server);
    const endpoints = {};
    for (const [key, r] of Object.entries({ healthy, hanging })) {
      endpoints[key] = { id: `we_bench_${key}` };
      await db.query(
        `INSERT INTO webhook_endpoints (id, owner_id, url, events, secret, secret_key_id, enabled, created_at, updated_at)
         VALUES ($1, 'key_bench', $2, ARRAY['*'], $3, NULL, true, now(), now())`,
        [endpoints[key].id, r.url, `whsec_${Buffer.alloc(32, 7).toString('base64')}`],
      );
    }
    worker = spawn(process.execPath, [path.join(ROOT, 'dist/apps/worker/main.js')], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        DATABASE_URL: target.toString(),
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
        WEBHOOK_TIMEOUT_MS: '15000',
        RECONCILE_INTERVAL_MS: '3600000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await new Promise((r) => setTimeout(r, 3000));
    const alone = await run(db, queue, 'healthy alone', [endpoints.healthy], healthy);
    const beside = await run(db, queue, 'beside a 10 s endpoint', [endpoints.hanging, endpoints.healthy], healthy);
    console.log(`p99 beside / alone: ${(beside / alone).toFixed(2)}×; the hanging endpoint had received ${hanging.arrivals.size} requests by then`);
  } finally {
    worker?.kill('SIGKILL');
    for (const s of servers) s.closeAllConnections?.(), s.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await db.end().catch(() => undefined);
    await root.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await root.end();
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
