// The peer baseline: a minimal hand-rolled service (Fastify + pg + ioredis, plain JS, no Nest) doing only what the
// gateway's two hot paths must do, against the same database and sandbox, so the bench can say what the gateway
// costs per request over a service written for exactly these two routes. Bench only: it is not shipped.
//
// What it does, as the gateway does it:
// - `Authorization: Bearer <key>`, the key's SHA-256 (hex) looked up in `api_keys` (not revoked) on a cache miss,
//   then cached in memory for API_KEY_CACHE_TTL_MS (5 s, the gateway's default); scope checked per route;
// - a fixed one-second window per key in Redis (MULTI INCR + EXPIRE 2), 429 over RATE_LIMIT_PER_SECOND;
// - GET /v1/payments/:id: one SELECT of the payment's columns by id and owner (the key's id), the gateway's
//   payment JSON, 200 (404 when it is not the key's);
// - POST /v1/payments: the body checked (amount, currency, description, reference, payer, payee, metadata), the
//   row inserted (commit 1), the FlexiQash sandbox called with the body the gateway's adapter sends, then the row's
//   update conditioned on its version, its `payment.created` event and a delivery per subscribed endpoint in one
//   statement (commit 2), 201 with the payment JSON;
// - one JSON log line per request (request id, method, route, status, duration) to stdout, which the bench sends
//   to a file as it does the gateway's; X-Request-Id on every answer.
//
// What it leaves out (BENCHMARKS.md lists it): Nest, class-validator, metrics, the admin key, revocation by
// LISTEN/NOTIFY (the cache's TTL is the only bound), the per-payment lease, Idempotency-Key, routing and failover
// (USD goes to FlexiQash), the unknown-outcome handling of a failed provider call (the row stays and the answer
// is 502), and handing new deliveries to the queue (the bench's create phase has no endpoints, so there are none).
'use strict';
const crypto = require('node:crypto');
const http = require('node:http');
const Fastify = require('fastify');
const pino = require('pino');
const { Pool, types } = require('pg');
const Redis = require('ioredis');

const env = process.env;
const PORT = Number(env.PORT);
const HOST = env.HOST || '127.0.0.1';
const PREFIX = env.QUEUE_PREFIX || 'paygw-bench';
const RATE_LIMIT = Number(env.RATE_LIMIT_PER_SECOND ?? 1000);
const CACHE_TTL_MS = Number(env.API_KEY_CACHE_TTL_MS ?? 5000);
const FLEXIQASH = new URL(env.FLEXIQASH_BASE_URL);
const FLEXIQASH_TOKEN = env.FLEXIQASH_API_TOKEN || 'sandbox-flexiqash-token';
const PROVIDER_TIMEOUT_MS = Number(env.PROVIDER_TIMEOUT_MS ?? 10_000);
const MAX_MINOR_AMOUNT = 999_999_999_999_999;

// bigint amounts as numbers (they are below 2^53, MAX_MINOR_AMOUNT), as the gateway's column transformer does.
types.setTypeParser(20, Number);

const pool = new Pool({ connectionString: env.DATABASE_URL, max: 20, connectionTimeoutMillis: 5000 });
const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
redis.on('error', () => {});
const agent = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 30_000 });

// ---- ids: `pay_` + 10 characters of time + 16 random, Crockford base32 (libs/common/src/ids.ts) -------------------
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
function newId(prefix) {
  let time = '';
  let value = Date.now();
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[value % 32] + time;
    value = Math.floor(value / 32);
  }
  const bytes = crypto.randomBytes(16);
  let random = '';
  for (let i = 0; i < 16; i++) random += ALPHABET[bytes[i] % 32];
  return `${prefix}_${time}${random}`;
}
const PAYMENT_ID = /^pay_[0-9a-hjkmnp-tv-z]{26}$/;

// ---- errors in the gateway's envelope ---------------------------------------------------------------------------
class HttpError extends Error {
  constructor(status, type, code, message, headers) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
    this.headers = headers;
  }
}
const invalid = (message) => new HttpError(422, 'invalid_request', 'validation_failed', message);

// ---- authentication: the key's hash, looked up once per TTL ------------------------------------------------------
const keyCache = new Map();
const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;
async function authenticate(request, scope) {
  const match = BEARER.exec(request.headers.authorization ?? '');
  if (!match) throw new HttpError(401, 'authentication', 'missing_api_key', 'Send your API key as "Authorization: Bearer <key>"');
  const hash = crypto.createHash('sha256').update(match[1], 'utf8').digest('hex');
  let entry = keyCache.get(hash);
  if (!entry || Date.now() - entry.at >= CACHE_TTL_MS) {
    const { rows } = await pool.query({ name: 'key', text: 'SELECT id, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', values: [hash] });
    if (!rows[0]) throw new HttpError(401, 'authentication', 'invalid_api_key', 'The API key is not valid or was revoked');
    entry = { id: rows[0].id, scopes: new Set(rows[0].scopes), at: Date.now() };
    if (keyCache.size >= 10_000) keyCache.delete(keyCache.keys().next().value);
    keyCache.set(hash, entry);
  }
  if (!entry.scopes.has(scope) && !entry.scopes.has('admin')) throw new HttpError(403, 'permission', 'missing_scope', `This API key lacks the scope ${scope}`);
  await rateLimit(entry.id);
  return entry;
}

async function rateLimit(keyId) {
  if (RATE_LIMIT === 0) return;
  const key = `{${PREFIX}}:peer:ratelimit:${keyId}:${Math.floor(Date.now() / 1000)}`;
  let count;
  try {
    count = (await redis.multi().incr(key).expire(key, 2).exec())[0][1];
  } catch {
    return; // Redis not answering: let it through, as the gateway does.
  }
  if (count > RATE_LIMIT) throw new HttpError(429, 'rate_limited', 'rate_limited', `More than ${RATE_LIMIT} requests per second for this API key`, { 'retry-after': '1' });
}

// ---- payments ---------------------------------------------------------------------------------------------------
const COLUMNS =
  'id, owner_id, provider, provider_payment_id, amount, currency, description, reference, status, provider_status, archived, ' +
  'checkout_url, payer, payee, metadata, provider_state_unknown, expires_at, version, last_checked_at, created_at, updated_at';

/** The gateway's payment JSON (libs/lifecycle/src/payment.presenter.ts), same keys in the same order. */
function present(row) {
  return {
    id: row.id,
    object: 'payment',
    provider: row.provider,
    providerPaymentId: row.provider_payment_id,
    amount: row.amount,
    currency: row.currency,
    description: row.description,
    reference: row.reference,
    status: row.status,
    providerStatus: row.provider_status,
    archived: row.archived,
    checkoutUrl: row.checkout_url,
    payer: row.payer,
    payee: row.payee,
    metadata: row.metadata ?? {},
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const isText = (value, min, max) => typeof value === 'string' && value.length >= min && value.length <= max;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
function optionalText(object, field, min, max, where) {
  if (object[field] === undefined) return undefined;
  if (!isText(object[field], min, max)) throw invalid(`${where}${field} must be ${min}-${max} characters`);
  return object[field];
}

/** The create body, checked minimally: the fields and bounds of the gateway's CreatePaymentDto. */
function checkCreate(body) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('The body must be a JSON object');
  const { amount, currency, description } = body;
  if (!Number.isSafeInteger(amount) || amount < 1 || amount > MAX_MINOR_AMOUNT) throw invalid('amount must be a whole number of minor units');
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) throw invalid('currency must be an ISO 4217 code');
  if (currency !== 'USD') throw invalid(`No provider takes ${currency}`); // FlexiQash's one currency here
  if (body.provider !== undefined && body.provider !== 'flexiqash') throw invalid('provider must be flexiqash');
  if (!isText(description, 1, 500)) throw invalid('description must be 1-500 characters');
  const reference = optionalText(body, 'reference', 1, 255, '') ?? null;
  let payer = null;
  if (body.payer !== undefined) {
    const p = body.payer;
    if (!p || typeof p !== 'object' || !isText(p.name, 1, 200) || !isText(p.email, 3, 254) || !EMAIL.test(p.email)) throw invalid('payer needs name and email');
    payer = { name: p.name, email: p.email, reference: optionalText(p, 'reference', 1, 255, 'payer.') ?? null };
  }
  let payee = null;
  if (body.payee !== undefined) {
    const p = body.payee;
    if (!p || typeof p !== 'object') throw invalid('payee must be an object');
    payee = {};
    for (const [field, max] of [['name', 200], ['reference', 255], ['bankId', 64], ['accountNumber', 64], ['accountName', 200]]) {
      const value = optionalText(p, field, 1, max, 'payee.');
      if (value !== undefined) payee[field] = value;
    }
  }
  const metadata = body.metadata ?? {};
  if (typeof metadata !== 'object' || Array.isArray(metadata) || Object.keys(metadata).length > 20) throw invalid('metadata: at most 20 string values');
  for (const [key, value] of Object.entries(metadata)) {
    if (key.length < 1 || key.length > 40 || typeof value !== 'string' || value.length > 500) throw invalid('metadata: keys 1-40 characters, values at most 500');
  }
  return { amount, currency, description, reference, payer, payee, metadata };
}

/** POST /api/payments/new on FlexiQash with the gateway adapter's body and headers; the parsed 201 answer. */
function flexiqashCreate(body) {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: FLEXIQASH.hostname,
        port: FLEXIQASH.port,
        method: 'POST',
        path: '/api/payments/new',
        timeout: PROVIDER_TIMEOUT_MS,
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          authorization: `Bearer ${FLEXIQASH_TOKEN}`,
          'content-length': Buffer.byteLength(payload),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => {
          if (response.statusCode !== 201 && response.statusCode !== 200) return reject(new Error(`FlexiQash answered ${response.statusCode}`));
          try {
            const parsed = JSON.parse(text);
            if (typeof parsed?.guid !== 'string') throw new Error('no guid');
            resolve(parsed);
          } catch (error) {
            reject(new Error(`FlexiQash answer not understood: ${error.message}`));
          }
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('FlexiQash timed out')));
    request.on('error', reject);
    request.end(payload);
  });
}

const INSERT = `INSERT INTO payments (${COLUMNS}) VALUES ($1, $2, 'flexiqash', NULL, $3, $4, $5, $6, 'pending', NULL, false, NULL, $7, $8, $9, true, NULL, 0, NULL, $10, $10)`;

/**
 * The confirmation: the row's update (only while it is at version 0), its payment.created event and a delivery per
 * subscribed endpoint, in one statement: the outbox's CTE (libs/outbox/src/outbox.service.ts).
 */
const CONFIRM = `WITH changed AS (
    UPDATE payments SET provider_payment_id = $2, provider_status = NULL, checkout_url = $3, expires_at = NULL,
           provider_state_unknown = false, version = 1, updated_at = $4
     WHERE id = $1 AND version = 0 RETURNING id
  ), event AS (
    INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, sequence, data, created_at)
    SELECT $5, $6, 'payment.created', $1, $1 || ':1:payment.created', 1, $7::jsonb, now()
     WHERE EXISTS (SELECT 1 FROM changed)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id, owner_id, type
  ), deliveries AS (
    INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, enqueued_at, created_at, updated_at)
    SELECT event.id, e.id, 'pending', 0, 0, now(), now(), now(), now()
      FROM event JOIN webhook_endpoints e
        ON e.enabled AND e.deleted_at IS NULL
       AND (e.owner_id = event.owner_id OR e.owner_id = 'admin')
       AND (e.events @> ARRAY[event.type]::text[] OR e.events @> ARRAY['*']::text[])
    RETURNING event_id
  )
  SELECT (SELECT count(*)::int FROM changed) AS changed, (SELECT count(*)::int FROM deliveries) AS deliveries`;

async function createPayment(ownerId, input) {
  const now = new Date();
  const row = {
    id: newId('pay'),
    owner_id: ownerId,
    provider: 'flexiqash',
    provider_payment_id: null,
    amount: input.amount,
    currency: input.currency,
    description: input.description,
    reference: input.reference,
    status: 'pending',
    provider_status: null,
    archived: false,
    checkout_url: null,
    payer: input.payer,
    payee: input.payee,
    metadata: input.metadata,
    created_at: now,
    updated_at: now,
  };
  const json = (value) => (value === null ? null : JSON.stringify(value));
  await pool.query({
    name: 'insert',
    text: INSERT,
    values: [row.id, ownerId, input.amount, input.currency, input.description, input.reference, json(input.payer), json(input.payee), JSON.stringify(input.metadata), now],
  });
  const body = { name: input.description, amount: input.amount / 100, payee: { reference: row.id } };
  if (input.payer) {
    body.payer = { name: input.payer.name, email: input.payer.email };
    if (input.payer.reference) body.payer.reference = input.payer.reference;
  }
  let created;
  try {
    created = await flexiqashCreate(body);
  } catch (error) {
    throw new HttpError(502, 'provider_error', 'provider_error', `FlexiQash: ${error.message}; the payment ${row.id} is pending`);
  }
  row.provider_payment_id = created.guid;
  row.checkout_url = typeof created.link === 'string' ? created.link : null;
  row.updated_at = new Date();
  const payment = present(row);
  const { rows } = await pool.query({
    name: 'confirm',
    text: CONFIRM,
    values: [row.id, row.provider_payment_id, row.checkout_url, row.updated_at, newId('evt'), ownerId, JSON.stringify(payment)],
  });
  if (rows[0].changed !== 1) throw new HttpError(500, 'internal', 'confirmation_pending', `The provider created the payment ${row.id}; it is recorded shortly`);
  return payment;
}

// ---- HTTP -------------------------------------------------------------------------------------------------------
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;
const app = Fastify({
  // JSON lines to stdout, synchronously, as the gateway's logger writes them (libs/common/src/logging.ts).
  loggerInstance: pino({ level: 'info' }, pino.destination({ fd: 1, sync: true })),
  logController: new Fastify.LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
  genReqId: (req) => {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
  },
  bodyLimit: 1024 * 1024,
  keepAliveTimeout: 60_000,
});

app.addHook('onRequest', async (request, reply) => {
  reply.header('x-request-id', request.id);
});
// One line per request, as the gateway writes it.
app.addHook('onResponse', async (request, reply) => {
  request.log[reply.statusCode >= 500 ? 'error' : 'info'](
    { method: request.method, route: request.routeOptions?.url ?? null, url: request.url, status: reply.statusCode, durationMs: Math.round(reply.elapsedTime * 10) / 10 },
    'request completed',
  );
});
app.setErrorHandler((error, request, reply) => {
  if (error instanceof HttpError) {
    if (error.headers) reply.headers(error.headers);
    return reply.code(error.status).send({ error: { type: error.type, code: error.code, message: error.message, requestId: request.id } });
  }
  if (error.statusCode && error.statusCode < 500) {
    return reply.code(error.statusCode).send({ error: { type: 'invalid_request', code: 'bad_request', message: error.message, requestId: request.id } });
  }
  request.log.error({ err: error }, 'unexpected error');
  return reply.code(500).send({ error: { type: 'internal', code: 'internal', message: 'Internal error', requestId: request.id } });
});

app.get('/health', async () => ({ status: 'ok' }));

app.get('/v1/payments/:id', async (request) => {
  const key = await authenticate(request, 'payments:read');
  const id = request.params.id;
  const { rows } = PAYMENT_ID.test(id)
    ? await pool.query({ name: 'read', text: `SELECT ${COLUMNS} FROM payments WHERE id = $1 AND owner_id = $2`, values: [id, key.id] })
    : { rows: [] };
  if (!rows[0]) throw new HttpError(404, 'not_found', 'not_found', 'Payment not found');
  return present(rows[0]);
});

app.post('/v1/payments', async (request, reply) => {
  const key = await authenticate(request, 'payments:write');
  const payment = await createPayment(key.id, checkCreate(request.body));
  reply.code(201);
  return payment;
});

const stop = async () => {
  await app.close();
  await pool.end();
  redis.disconnect();
  agent.destroy();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

app.listen({ port: PORT, host: HOST }).catch((error) => {
  process.stderr.write(`peer: ${error.stack}\n`);
  process.exit(1);
});
