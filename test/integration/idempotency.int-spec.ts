import type { Redis } from 'ioredis';
import { RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner } from '@nestjs/core';
import { ProviderError } from '@app/payments';
import { REDIS } from '../../apps/gateway/src/health/redis.provider';
import { GATEWAY_CONTROLLERS } from '../../apps/gateway/src/gateway.module';
import { isIdempotentHandler } from '../../apps/gateway/src/http/idempotency';
import { startInProcessGateway, InProcessGateway } from '../support/in-process';
import { reached } from '../support/provider-gate';
import { expectError } from '../support/expect-error';

const usd = (description: string, extra: Record<string, unknown> = {}) => ({ amount: 1500, currency: 'USD', description, ...extra });
let serial = 0;
const newIdempotencyKey = () => `idem-${process.pid}-${Date.now()}-${++serial}`;

async function paymentsDescribed(gw: InProcessGateway, description: string): Promise<Array<{ id: string; status: string }>> {
  const { rows } = await gw.db.query(`SELECT id, status FROM payments WHERE description = $1 ORDER BY created_at`, [description]);
  return rows;
}

async function keyRows(gw: InProcessGateway, key: string): Promise<Array<{ state: string; response_status: number | null }>> {
  const { rows } = await gw.db.query(`SELECT state, response_status FROM idempotency_keys WHERE key = $1`, [key]);
  return rows;
}

describe('Idempotency-Key (interceptor over the real idempotency_keys table)', () => {
  let gw: InProcessGateway;
  let other: InProcessGateway;
  let key: string;
  beforeAll(async () => {
    gw = await startInProcessGateway();
    other = await startInProcessGateway();
    key = await gw.newKey();
  });
  afterAll(async () => {
    await gw?.close();
    await other?.close();
  });

  it('replays the first answer, status and body, with Idempotent-Replayed: true, and calls the provider once', async () => {
    const idem = newIdempotencyKey();
    const before = gw.gate.count('flexiqash', 'createPayment');
    const first = await gw.request('POST', '/v1/payments', { key, body: usd('replay'), headers: { 'idempotency-key': idem } });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await gw.request('POST', '/v1/payments', { key, body: usd('replay'), headers: { 'idempotency-key': idem } });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    // Another instance on the same database answers the same.
    const elsewhere = await other.request('POST', '/v1/payments', { key, body: usd('replay'), headers: { 'idempotency-key': idem } });
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.headers['idempotent-replayed']).toBe('true');
    expect(elsewhere.body).toEqual(first.body);
    expect(gw.gate.count('flexiqash', 'createPayment') - before).toBe(1);
    expect(other.gate.count('flexiqash', 'createPayment')).toBe(0);
    expect(await paymentsDescribed(gw, 'replay')).toHaveLength(1);
  });

  it('answers 422 idempotency_key_reused for the same key with another body, and creates nothing', async () => {
    const idem = newIdempotencyKey();
    expect((await gw.request('POST', '/v1/payments', { key, body: usd('reused-a'), headers: { 'idempotency-key': idem } })).status).toBe(201);
    const calls = gw.gate.calls.length;
    const reused = await gw.request('POST', '/v1/payments', { key, body: usd('reused-b'), headers: { 'idempotency-key': idem } });
    expectError(reused, 422, 'invalid_request', 'idempotency_key_reused');
    expect(gw.gate.calls.length).toBe(calls);
    expect(await paymentsDescribed(gw, 'reused-b')).toEqual([]);
    // Scoped to the API key: another key may use the same Idempotency-Key for its own request.
    const otherKey = await gw.newKey();
    expect((await gw.request('POST', '/v1/payments', { key: otherKey, body: usd('reused-b'), headers: { 'idempotency-key': idem } })).status).toBe(201);
  });

  it('answers 409 idempotency_in_progress to every same-key request while the first is held at the provider, on either instance', async () => {
    const idem = newIdempotencyKey();
    const creates = () => gw.gate.count('flexiqash', 'createPayment') + other.gate.count('flexiqash', 'createPayment');
    const createsBefore = creates();
    const held = gw.gate.hold('flexiqash', 'createPayment');
    const first = gw.request('POST', '/v1/payments', { key, body: usd('in-flight'), headers: { 'idempotency-key': idem } });
    await reached(held, first);
    const competing = await Promise.all([
      ...Array.from({ length: 4 }, () => gw.request('POST', '/v1/payments', { key, body: usd('in-flight'), headers: { 'idempotency-key': idem } })),
      ...Array.from({ length: 4 }, () => other.request('POST', '/v1/payments', { key, body: usd('in-flight'), headers: { 'idempotency-key': idem } })),
    ]);
    const conflicts = competing.filter((answer) => answer.status === 409);
    expect(conflicts.length).toBeGreaterThan(0);
    expect(competing.map((answer) => answer.status)).toEqual(Array(8).fill(409));
    for (const answer of conflicts) expectError(answer, 409, 'conflict', 'idempotency_in_progress');
    // Not one competing request reached a provider (the held call is counted once released).
    expect(creates()).toBe(createsBefore);
    held.release();
    const created = await first;
    expect(created.status).toBe(201);
    expect(creates()).toBe(createsBefore + 1);
    expect(await paymentsDescribed(gw, 'in-flight')).toHaveLength(1);
    const replay = await other.request('POST', '/v1/payments', { key, body: usd('in-flight'), headers: { 'idempotency-key': idem } });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(created.body.id);
  });

  it('gives the key back when the provider was unreachable, so the retry with it creates the payment', async () => {
    const idem = newIdempotencyKey();
    const held = gw.gate.hold('flexiqash', 'createPayment');
    const failing = gw.request('POST', '/v1/payments', { key, body: usd('unreachable-then-ok'), headers: { 'idempotency-key': idem } });
    await reached(held, failing);
    held.fail(new ProviderError('flexiqash', 'unreachable', 'connection refused'));
    expectError(await failing, 503, 'provider_unavailable', 'provider_unreachable');
    expect(await keyRows(gw, idem)).toEqual([]);
    expect(await paymentsDescribed(gw, 'unreachable-then-ok')).toEqual([]);

    const retry = await gw.request('POST', '/v1/payments', { key, body: usd('unreachable-then-ok'), headers: { 'idempotency-key': idem } });
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await paymentsDescribed(gw, 'unreachable-then-ok')).toEqual([{ id: retry.body.id, status: 'pending' }]);
  });

  it('keeps the key after a provider 5xx (the provider may have acted): the retry replays the 502 naming the payment', async () => {
    const idem = newIdempotencyKey();
    const held = gw.gate.hold('flexiqash', 'createPayment');
    const failing = gw.request('POST', '/v1/payments', { key, body: usd('server-error'), headers: { 'idempotency-key': idem } });
    await reached(held, failing);
    held.fail(new ProviderError('flexiqash', 'server', 'internal error', 500));
    const failed = await failing;
    expectError(failed, 502, 'provider_error', 'provider_server_error');
    expect(failed.body.error.details.paymentId).toMatch(/^pay_/);
    const creates = gw.gate.count('flexiqash', 'createPayment');
    const retry = await gw.request('POST', '/v1/payments', { key, body: usd('server-error'), headers: { 'idempotency-key': idem } });
    expect(retry.status).toBe(502);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.error.details.paymentId).toBe(failed.body.error.details.paymentId);
    expect(gw.gate.count('flexiqash', 'createPayment')).toBe(creates);
    expect(await paymentsDescribed(gw, 'server-error')).toEqual([{ id: failed.body.error.details.paymentId, status: 'pending' }]);
  });

  it('refuses a body that fails validation before its key is looked at: nothing is claimed, the corrected request runs', async () => {
    const idem = newIdempotencyKey();
    const invalid = { amount: -1, currency: 'USD', description: 'corrected' };
    expectError(await gw.request('POST', '/v1/payments', { key, body: invalid, headers: { 'idempotency-key': idem } }), 422, 'invalid_request', 'validation_failed');
    expect(await keyRows(gw, idem)).toEqual([]);
    const corrected = await gw.request('POST', '/v1/payments', { key, body: usd('corrected'), headers: { 'idempotency-key': idem } });
    expect(corrected.status).toBe(201);
    expect(corrected.headers['idempotent-replayed']).toBeUndefined();
    // The key is used now; an invalid body with it is still answered as invalid, and the stored answer stays.
    expectError(await gw.request('POST', '/v1/payments', { key, body: invalid, headers: { 'idempotency-key': idem } }), 422, 'invalid_request', 'validation_failed');
    expect(await keyRows(gw, idem)).toEqual([{ state: 'done', response_status: 201 }]);
  });

  it('keeps a key 24 hours: replayed at 23 h, free again after 24 h (a new request runs, even with another body)', async () => {
    const idem = newIdempotencyKey();
    const first = await gw.request('POST', '/v1/payments', { key, body: usd('window'), headers: { 'idempotency-key': idem } });
    expect(first.status).toBe(201);
    await gw.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '23 hours' WHERE key = $1`, [idem]);
    const within = await gw.request('POST', '/v1/payments', { key, body: usd('window'), headers: { 'idempotency-key': idem } });
    expect(within.headers['idempotent-replayed']).toBe('true');
    expect(within.body.id).toBe(first.body.id);
    expectError(await gw.request('POST', '/v1/payments', { key, body: usd('window-other'), headers: { 'idempotency-key': idem } }), 422, 'invalid_request', 'idempotency_key_reused');

    await gw.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 minute' WHERE key = $1`, [idem]);
    const after = await gw.request('POST', '/v1/payments', { key, body: usd('window-other'), headers: { 'idempotency-key': idem } });
    expect(after.status).toBe(201);
    expect(after.headers['idempotent-replayed']).toBeUndefined();
    expect(after.body.id).not.toBe(first.body.id);
    expect(await keyRows(gw, idem)).toEqual([{ state: 'done', response_status: 201 }]);
  });

  // A key claimed by an instance that died is taken over after its lease: test/integration/lifecycle-keys.int-spec.ts
  // and test/lifecycle-crash.e2e-spec.ts (a gateway killed with SIGKILL).

  it('refuses a malformed Idempotency-Key with 400 before anything runs', async () => {
    const calls = gw.gate.calls.length;
    expectError(await gw.request('POST', '/v1/payments', { key, body: usd('bad-idem'), headers: { 'idempotency-key': 'x'.repeat(256) } }), 400, 'invalid_request', 'invalid_idempotency_key');
    expect(gw.gate.calls.length).toBe(calls);
    expect(await paymentsDescribed(gw, 'bad-idem')).toEqual([]);
  });
});

describe('rate limit (per API key, counted in Redis)', () => {
  const LIMIT = 3;
  let gw: InProcessGateway;
  /** An instance without the limit, on the same database: the admin key makes keys there, whatever its own count. */
  let keyMaker: InProcessGateway;
  let redis: Redis;
  beforeAll(async () => {
    gw = await startInProcessGateway({ env: { RATE_LIMIT_PER_SECOND: String(LIMIT) } });
    keyMaker = await startInProcessGateway();
    redis = gw.get<Redis>(REDIS);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await gw?.close();
    await keyMaker?.close();
  });

  async function serviceKey(): Promise<{ id: string; key: string }> {
    const created = await keyMaker.request('POST', '/v1/api-keys', { body: { name: 'limited', scopes: ['payments:read', 'payments:write'] } });
    return created.body;
  }

  /** Fills this key's window for this second and the next, so the next request is over the limit whenever it lands. */
  async function exhaust(keyId: string): Promise<string[]> {
    const second = Math.floor(Date.now() / 1000);
    const windows = [second, second + 1].map((s) => `{${gw.config.queuePrefix}}:ratelimit:${keyId}:${s}`);
    for (const window of windows) await redis.set(window, String(LIMIT), 'EX', 5);
    return windows;
  }

  it(`lets ${LIMIT} requests a second through for one key, then answers 429 rate_limited with Retry-After; other keys are unaffected`, async () => {
    const limited = await serviceKey();
    const bystander = await serviceKey();
    // One fixed second: the window is Date.now()'s second, so the burst cannot straddle two windows.
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now - (now % 1000) + 500);
    try {
      const answers = [];
      for (let i = 0; i < LIMIT + 2; i++) answers.push(await gw.request('GET', '/v1/payments?limit=1', { key: limited.key }));
      expect(answers.map((a) => a.status)).toEqual([...Array(LIMIT).fill(200), 429, 429]);
      expectError(answers[LIMIT], 429, 'rate_limited', 'rate_limited');
      expect(answers[LIMIT].headers['retry-after']).toBe('1');
      expect((await gw.request('GET', '/v1/payments?limit=1', { key: bystander.key })).status).toBe(200);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('counts one window for a key across instances sharing the Redis prefix', async () => {
    const peer = await startInProcessGateway({ env: { RATE_LIMIT_PER_SECOND: String(LIMIT), QUEUE_PREFIX: gw.config.queuePrefix } });
    try {
      const limited = await serviceKey();
      const now = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(now - (now % 1000) + 500);
      try {
        const statuses = [];
        for (let i = 0; i < LIMIT + 2; i++) statuses.push((await (i % 2 === 0 ? gw : peer).request('GET', '/v1/payments?limit=1', { key: limited.key })).status);
        expect(statuses).toEqual([...Array(LIMIT).fill(200), 429, 429]);
      } finally {
        jest.restoreAllMocks();
      }
    } finally {
      await peer.close();
    }
  });

  it('a rate-limited request claims no idempotency key: the same key later creates the payment', async () => {
    const limited = await serviceKey();
    const idem = newIdempotencyKey();
    const windows = await exhaust(limited.id);
    const refused = await gw.request('POST', '/v1/payments', { key: limited.key, body: usd('limited'), headers: { 'idempotency-key': idem } });
    expectError(refused, 429, 'rate_limited');
    expect(await keyRows(gw, idem)).toEqual([]);
    expect(await paymentsDescribed(gw, 'limited')).toEqual([]);
    await redis.del(...windows);
    // An instance that saw the budget spent refuses that key until its second ends, without asking Redis again.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    const later = await gw.request('POST', '/v1/payments', { key: limited.key, body: usd('limited'), headers: { 'idempotency-key': idem } });
    expect(later.status).toBe(201);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
  });

  it('a rate-limited request never reaches the idempotency check: 429, not 409, while the same key is in flight', async () => {
    const limited = await serviceKey();
    const idem = newIdempotencyKey();
    const held = gw.gate.hold('flexiqash', 'createPayment');
    const first = gw.request('POST', '/v1/payments', { key: limited.key, body: usd('limited-in-flight'), headers: { 'idempotency-key': idem } });
    await reached(held, first);
    const windows = await exhaust(limited.id);
    expectError(
      await gw.request('POST', '/v1/payments', { key: limited.key, body: usd('limited-in-flight'), headers: { 'idempotency-key': idem } }),
      429,
      'rate_limited',
    );
    await redis.del(...windows);
    held.release();
    expect((await first).status).toBe(201);
  });
});

describe('the routes Idempotency-Key applies to', () => {
  it('every POST route runs under Idempotency-Key, no other route does, and no route has a Nest interceptor', async () => {
    const gw = await startInProcessGateway();
    try {
      const scanner = new MetadataScanner();
      const routes: Array<{ route: string; idempotent: boolean; interceptors: unknown[] }> = [];
      for (const controller of GATEWAY_CONTROLLERS) {
        for (const name of scanner.getAllMethodNames(controller.prototype)) {
          const handler = (controller.prototype as unknown as Record<string, object>)[name];
          const method = Reflect.getMetadata(METHOD_METADATA, handler);
          if (method === undefined) continue;
          routes.push({
            route: `${RequestMethod[method]} ${controller.name}.${name}`,
            idempotent: isIdempotentHandler(handler),
            interceptors: Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? [],
          });
        }
      }
      const posts = routes.filter((r) => r.route.startsWith('POST '));
      expect(posts.length).toBeGreaterThanOrEqual(13);
      for (const { route, idempotent, interceptors } of routes) {
        expect({ route, idempotent, interceptors }).toEqual({ route, idempotent: route.startsWith('POST '), interceptors: [] });
      }
      // Replays on a POST outside the payments controller too.
      const idem = newIdempotencyKey();
      const first = await gw.request('POST', '/v1/api-keys', { body: { name: 'idem-scope', scopes: ['payments:read'] }, headers: { 'idempotency-key': idem } });
      const again = await gw.request('POST', '/v1/api-keys', { body: { name: 'idem-scope', scopes: ['payments:read'] }, headers: { 'idempotency-key': idem } });
      expect(first.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(first.body.id);
    } finally {
      await gw.close();
    }
  });
});
