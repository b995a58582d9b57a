// Phase 4, webhook fan-out: events committed to Postgres reach 3 subscribed receivers through the worker.
//
// Events are produced the way the gateway's outbox produces them (libs/outbox/src/outbox.service.ts and
// delivery-relay.ts), only without an HTTP request around them, so the rate is the bench's to choose: in one
// transaction, event rows plus one delivery row per subscribed endpoint (the outbox's own subscription query);
// after the commit, the jobs are added to the BullMQ queue with the relay's job ids and options (the deliveries
// were written marked enqueued, as the outbox writes them). The commit time is taken when COMMIT returns; the
// receipt time when a receiver has read the whole request. Receivers run in this process, so both clocks are the same. Every delivery's signature
// is checked with `standardwebhooks` (Webhook.verify), as a subscriber would.
const http = require('node:http');
const { randomBytes } = require('node:crypto');
const { Pool } = require('pg');
const { Queue } = require('bullmq');
const { Webhook } = require('standardwebhooks');
const { BENCH, HOST, sleep } = require('./lib/stack');
const { percentile } = require('./lib/stats');
const { CpuMeter } = require('./lib/cpu');

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** Ids in the gateway's format (libs/common/src/ids.ts): prefix, 10 time characters, 16 random. */
function newId(prefix) {
  let time = '';
  let value = Date.now();
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[value % 32] + time;
    value = Math.floor(value / 32);
  }
  const bytes = randomBytes(16);
  let rest = '';
  for (let i = 0; i < 16; i++) rest += ALPHABET[bytes[i] % 32];
  return `${prefix}_${time}${rest}`;
}

/**
 * The relay's job options (`deliveryJobOptions` in libs/outbox/src/delivery-relay.ts) with the default
 * WEBHOOK_RETRY_SCHEDULE (7 delays): finished jobs are kept as in production, so Redis trims them as it does there.
 * `delivery-relay.spec.ts` checks the two agree.
 */
const JOB_OPTIONS = {
  delay: 0,
  attempts: 7 + 2,
  backoff: { type: 'webhook-schedule' },
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
};
const EVENT_TYPE = 'payment.updated';

class Receiver {
  constructor(index) {
    this.index = index;
    this.webhook = null;
    this.sink = null; // where receipts go
    this.verifyFailures = 0;
    this.sockets = new Set();
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  async listen() {
    await new Promise((resolve) => this.server.listen(0, HOST, resolve));
    this.url = `http://${HOST}:${this.server.address().port}/hook`;
  }

  handle(req, res) {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      let ok = true;
      try {
        this.webhook.verify(body, req.headers);
      } catch {
        ok = false;
        this.verifyFailures++;
      }
      this.sink?.push({ id: req.headers['webhook-id'], receiver: this.index, at, ok });
      res.writeHead(ok ? 200 : 400, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok' : 'bad signature');
    });
  }

  async close() {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function paymentData(resourceId, n) {
  const now = new Date().toISOString();
  return JSON.stringify({
    id: resourceId,
    object: 'payment',
    provider: 'flexiqash',
    providerPaymentId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    amount: 12399,
    currency: 'USD',
    description: 'Bench payment',
    reference: `bench-fanout-${n}`,
    status: 'pending',
    providerStatus: 'pending',
    archived: false,
    checkoutUrl: `http://127.0.0.1:4010/payment/${n}/request`,
    payer: { name: 'Bench Payer', email: 'payer@example.com', reference: null },
    payee: null,
    metadata: { run: 'bench' },
    createdAt: now,
    updatedAt: now,
  });
}

class Producer {
  constructor(ownerId) {
    this.ownerId = ownerId;
    this.pool = new Pool({ connectionString: BENCH.database, max: 4 });
    this.queue = new Queue('webhook-deliveries', { prefix: `{${BENCH.queuePrefix}}`, connection: { url: BENCH.redis, maxRetriesPerRequest: 1 } });
    this.counter = 0;
  }

  /** Commits `count` events (one transaction) and enqueues their deliveries; records each event's commit time. */
  async commitBatch(count, commits) {
    const ids = [];
    const resources = [];
    const data = [];
    for (let i = 0; i < count; i++) {
      const n = this.counter++;
      ids.push(newId('evt'));
      resources.push(newId('pay'));
      data.push(paymentData(resources[i], n));
    }
    const client = await this.pool.connect();
    let deliveries;
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, data, created_at)
         SELECT t.id, $2, $3, t.rid, t.rid || ':1:' || $3, t.d::jsonb, now()
           FROM unnest($1::text[], $4::text[], $5::text[]) AS t(id, rid, d)`,
        [ids, this.ownerId, EVENT_TYPE, resources, data],
      );
      // The outbox's subscription rule, for many events at once.
      ({ rows: deliveries } = await client.query(
        `INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, enqueued_at, created_at, updated_at)
         SELECT ev.id, e.id, 'pending', 0, 0, now(), now(), now(), now()
           FROM unnest($1::text[]) AS ev(id)
           JOIN webhook_endpoints e
             ON e.enabled AND e.deleted_at IS NULL
            AND (e.owner_id = $2 OR e.owner_id = 'admin')
            AND (e.events @> ARRAY[$3]::text[] OR e.events @> ARRAY['*']::text[])
         RETURNING event_id, endpoint_id`,
        [ids, this.ownerId, EVENT_TYPE],
      ));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    const at = performance.now();
    for (const id of ids) commits.set(id, at);
    // As the relay does right after the commit: add the jobs. The deliveries were written marked enqueued, as the
    // outbox writes them. In event order, each event's deliveries together, as the relay adds them for changes
    // committed one after the other: Postgres returns this INSERT's rows grouped by endpoint, and enqueued that way
    // a batch came to the worker as runs of 250 deliveries to one endpoint.
    const order = new Map(ids.map((id, i) => [id, i]));
    deliveries.sort((a, b) => order.get(a.event_id) - order.get(b.event_id) || (a.endpoint_id < b.endpoint_id ? -1 : a.endpoint_id > b.endpoint_id ? 1 : 0));
    await this.queue.addBulk(
      deliveries.map((d) => ({
        name: 'deliver',
        data: { eventId: d.event_id, endpointId: d.endpoint_id, generation: 0 },
        opts: { ...JOB_OPTIONS, jobId: `${d.event_id}__${d.endpoint_id}__g0` },
      })),
    );
    return deliveries.length;
  }

  async deliveryStatuses() {
    const { rows } = await this.pool.query(`SELECT status, count(*)::int AS n FROM webhook_deliveries GROUP BY status`);
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  async close() {
    await this.queue.close().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}

/**
 * Waits until every delivery of this run's events (`commits`) arrived, or `timeoutMs`, then summarizes the run.
 * Receipts of other runs' events (a backlog) are not counted.
 */
async function collect(name, receipts, commits, expected, firstCommitAt, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const seen = new Set();
  const latencies = [];
  let duplicates = 0;
  let verified = 0;
  let lastAt = firstCommitAt;
  let scanned = 0;
  for (;;) {
    for (; scanned < receipts.length; scanned++) {
      const receipt = receipts[scanned];
      const committed = commits.get(receipt.id);
      if (committed === undefined) continue;
      if (receipt.ok) verified++;
      const key = `${receipt.receiver}:${receipt.id}`;
      if (seen.has(key)) {
        duplicates++;
        continue;
      }
      seen.add(key);
      latencies.push(receipt.at - committed);
      lastAt = Math.max(lastAt, receipt.at);
    }
    if (seen.size >= expected || Date.now() > deadline) break;
    await sleep(20);
  }
  // Timed out: each missing delivery waited at least until now, so the percentiles become lower bounds.
  const complete = seen.size >= expected;
  if (!complete) {
    const now = performance.now();
    const delivered = new Map();
    for (const key of seen) {
      const id = key.slice(key.indexOf(':') + 1);
      delivered.set(id, (delivered.get(id) || 0) + 1);
    }
    const perEvent = Math.round(expected / commits.size);
    for (const [id, committed] of commits) {
      for (let i = delivered.get(id) || 0; i < perEvent; i++) latencies.push(now - committed);
    }
    lastAt = now;
  }
  const seconds = (lastAt - firstCommitAt) / 1000;
  return {
    name,
    events: commits.size,
    expected,
    delivered: seen.size,
    duplicates,
    verified,
    complete,
    deliveriesPerSec: seen.size / seconds,
    seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
  };
}

/**
 * Burst: `events` events committed as fast as the producer can (batches of `batch`, two transactions at a time),
 * then timed until the last delivery arrives. Measures the fan-out's throughput (deliveries/s); its latencies are
 * mostly time spent waiting in the backlog.
 */
async function burst(producer, receipts, { events, batch, timeoutMs }) {
  const commits = new Map();
  const firstCommitAt = performance.now();
  let expected = 0;
  let next = 0;
  const lane = async () => {
    while (next < events) {
      const count = Math.min(batch, events - next);
      next += count;
      const added = await producer.commitBatch(count, commits);
      expected += added;
    }
  };
  await Promise.all([lane(), lane()]);
  const result = await collect('burst', receipts, commits, expected, firstCommitAt, timeoutMs);
  result.commitSeconds = (Math.max(...commits.values()) - firstCommitAt) / 1000;
  return result;
}

/**
 * Paced: `rate` events/s for `seconds`, committed every `tickMs` in one transaction of rate·tickMs/1000 events
 * (open loop: a tick does not wait for the previous one). Measures commit-to-receipt latency at that rate.
 */
async function paced(producer, receipts, { rate, seconds, tickMs, timeoutMs }) {
  const commits = new Map();
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const ticks = Math.round((seconds * 1000) / tickMs);
  const start = performance.now();
  const pending = [];
  let expected = 0;
  for (let k = 0; k < ticks; k++) {
    const wait = start + k * tickMs - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(producer.commitBatch(perTick, commits).then((n) => (expected += n)));
  }
  await Promise.all(pending);
  const committedSeconds = (Math.max(...commits.values()) - start) / 1000;
  const result = await collect('paced', receipts, commits, expected, start, timeoutMs);
  result.rate = commits.size / committedSeconds;
  return result;
}

/** A run that timed out leaves a backlog; the next run must not start behind it. Bounded. */
async function drain(producer, log, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let pending = 0;
  while (Date.now() < deadline) {
    pending = (await producer.deliveryStatuses()).pending || 0;
    if (pending === 0) return;
    await sleep(250);
  }
  log(`  ${pending} deliveries still pending after ${timeoutMs / 1000} s; the next run starts behind them`);
}

async function runFanout({ gateway, key, ownerId, settings, log, meter }) {
  const receivers = [new Receiver(0), new Receiver(1), new Receiver(2)];
  await Promise.all(receivers.map((receiver) => receiver.listen()));
  const producer = new Producer(ownerId);
  try {
    for (const receiver of receivers) {
      const response = await fetch(`${gateway.url}/v1/webhook-endpoints`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiver.url, events: ['*'], description: `bench receiver ${receiver.index}` }),
      });
      const body = await response.json();
      if (response.status !== 201) throw new Error(`creating a webhook endpoint answered ${response.status}: ${JSON.stringify(body)}`);
      receiver.webhook = new Webhook(body.secret);
    }
    const receipts = [];
    for (const receiver of receivers) receiver.sink = receipts;
    // A few deliveries first so connections, JIT and pools are warm; not counted.
    const warm = await paced(producer, receipts, { rate: 200, seconds: 1, tickMs: 10, timeoutMs: 20_000 });
    log(`  fan-out warm-up: ${warm.delivered}/${warm.expected} deliveries`);

    let before = meter?.snapshot();
    const burstResult = await burst(producer, receipts, settings.burst);
    if (meter) burstResult.cpu = CpuMeter.diff(before, meter.snapshot());
    log(`  burst: ${burstResult.delivered}/${burstResult.expected} deliveries in ${burstResult.seconds.toFixed(1)} s`);
    if (!burstResult.complete) await drain(producer, log);
    before = meter?.snapshot();
    const pacedResult = await paced(producer, receipts, settings.paced);
    if (meter) pacedResult.cpu = CpuMeter.diff(before, meter.snapshot());
    log(`  paced: ${pacedResult.delivered}/${pacedResult.expected} deliveries at ${pacedResult.rate.toFixed(0)} events/s`);
    const statuses = await producer.deliveryStatuses();
    return {
      burst: burstResult,
      paced: pacedResult,
      statuses,
      verifyFailures: receivers.reduce((sum, receiver) => sum + receiver.verifyFailures, 0),
    };
  } finally {
    await producer.close();
    await Promise.all(receivers.map((receiver) => receiver.close()));
  }
}

module.exports = { runFanout, JOB_OPTIONS };
