import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, MIGRATIONS, runMigrations } from '@app/persistence';
import { startInProcessGateway, InProcessGateway } from '../support/in-process';
import { testDatabaseUrl } from '../support/env';

describe('secrets in stored idempotent answers', () => {
  let gw: InProcessGateway;
  beforeAll(async () => {
    gw = await startInProcessGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  const stored = async (key: string) =>
    (await gw.db.query(`select response_status, response_body from idempotency_keys where key = $1`, [key])).rows[0];

  it('a created API key is answered once; the stored answer and its replay hold null and say so', async () => {
    const idem = `key-${Math.random()}`;
    const body = { name: 'shown-once', scopes: ['payments:read'] };
    const first = await gw.request('POST', '/v1/api-keys', { body, headers: { 'idempotency-key': idem } });
    expect(first.status).toBe(201);
    expect(first.body.key).toMatch(/^sk_/);
    expect(first.headers['idempotent-secret-omitted']).toBeUndefined();

    const row = await stored(idem);
    expect(row.response_body).toEqual({ ...first.body, key: null });
    expect(JSON.stringify(row.response_body)).not.toContain(first.body.key);

    const replay = await gw.request('POST', '/v1/api-keys', { body, headers: { 'idempotency-key': idem } });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers['idempotent-secret-omitted']).toBe('key');
    expect(replay.body).toEqual({ ...first.body, key: null });
    // The key from the first answer works; nothing was created twice.
    expect((await gw.request('GET', '/v1/payments', { key: first.body.key })).status).toBe(200);
    expect((await gw.db.query(`select count(*) from api_keys where name = 'shown-once'`)).rows[0].count).toBe('1');
  });

  it('a webhook endpoint secret likewise', async () => {
    const key = await gw.newKey();
    const idem = `endpoint-${Math.random()}`;
    const body = { url: 'https://receiver.example/hooks', events: ['*'] };
    const first = await gw.request('POST', '/v1/webhook-endpoints', { key, body, headers: { 'idempotency-key': idem } });
    expect(first.status).toBe(201);
    expect(first.body.secret).toMatch(/^whsec_/);
    expect((await stored(idem)).response_body).toEqual({ ...first.body, secret: null });

    const replay = await gw.request('POST', '/v1/webhook-endpoints', { key, body, headers: { 'idempotency-key': idem } });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-secret-omitted']).toBe('secret');
    expect(replay.body).toEqual({ ...first.body, secret: null });
  });

  it('the OpenAPI document says so on both routes', async () => {
    const doc = (await gw.request('GET', '/docs-json', { key: null })).body;
    expect(doc.paths['/v1/api-keys'].post.responses['201'].headers['Idempotent-Secret-Omitted']).toBeDefined();
    expect(doc.paths['/v1/webhook-endpoints'].post.responses['201'].headers['Idempotent-Secret-Omitted']).toBeDefined();
    expect(doc.components.schemas.CreatedApiKey.properties.key.nullable).toBe(true);
    expect(doc.components.schemas.CreatedWebhookEndpoint.properties.secret.nullable).toBe(true);
  });

  it('other replays are untouched and carry no omission header', async () => {
    const key = await gw.newKey();
    const idem = `payment-${Math.random()}`;
    const body = { amount: 500, currency: 'USD', description: 'plain', metadata: { key: 'sk_not_a_secret_here' } };
    const first = await gw.request('POST', '/v1/payments', { key, body, headers: { 'idempotency-key': idem } });
    const replay = await gw.request('POST', '/v1/payments', { key, body, headers: { 'idempotency-key': idem } });
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-secret-omitted']).toBeUndefined();
  });

  it('a pg_dump of idempotency_keys and api_keys after creating keys and endpoints holds no key or secret', async () => {
    const shown: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await gw.request('POST', '/v1/api-keys', { body: { name: `dump-${i}`, scopes: ['webhooks:manage'] }, headers: { 'idempotency-key': `dump-key-${i}-${Math.random()}` } });
      shown.push(created.body.key);
      const endpoint = await gw.request('POST', '/v1/webhook-endpoints', {
        key: created.body.key,
        body: { url: `https://receiver.example/${i}`, events: ['*'] },
        headers: { 'idempotency-key': `dump-endpoint-${i}` },
      });
      shown.push(endpoint.body.secret);
    }
    expect(shown.every((secret) => /^(sk|whsec)_/.test(secret))).toBe(true);
    const dump = execFileSync('pg_dump', ['--data-only', '-t', 'idempotency_keys', '-t', 'api_keys', testDatabaseUrl()], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(dump).toContain('dump-key-0');
    for (const secret of shown) expect(dump).not.toContain(secret);
  });
});

describe('migration ScrubIdempotentSecrets1733100000000', () => {
  const scratch = new URL(testDatabaseUrl());
  scratch.pathname = `/${scratch.pathname.slice(1)}_scrub`;
  const admin = new URL(testDatabaseUrl());
  admin.pathname = '/postgres';
  const dropScratch = async () => {
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${scratch.pathname.slice(1)}" WITH (FORCE)`);
    await client.end();
  };
  afterAll(dropScratch);

  it('nulls the secrets in answers stored under the previous schema and leaves everything else', async () => {
    await dropScratch();
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`CREATE DATABASE "${scratch.pathname.slice(1)}"`);
    await client.end();

    const previous = MIGRATIONS.slice(0, MIGRATIONS.findIndex((migration) => migration.name === 'ScrubIdempotentSecrets1733100000000'));
    const old = new DataSource({ ...dataSourceOptions(scratch.toString()), migrations: previous });
    await old.initialize();
    await old.runMigrations({ transaction: 'each' });
    const rows: Array<[string, number, unknown]> = [
      ['api-key', 201, { id: 'key_1', name: 'n', scopes: ['admin'], key: 'sk_plaintextsecret', createdAt: '2026-11-30T00:00:00.000Z' }],
      ['endpoint', 201, { id: 'we_1', object: 'webhook_endpoint', url: 'https://x.example/', secret: 'whsec_plaintextsecret', enabled: true }],
      ['payment', 201, { id: 'pay_1', object: 'payment', metadata: { key: 'sk_in_metadata_is_not_ours' }, description: 'whsec_ looks alike' }],
      ['error', 422, { error: { type: 'invalid_request', code: 'validation_failed', message: 'm' }, requestId: 'r' }],
      ['odd-key', 201, { key: 'pk_not_a_secret' }],
      ['running', 0, null],
    ];
    for (const [key, status, body] of rows) {
      await old.query(
        `INSERT INTO idempotency_keys (owner_id, key, fingerprint, state, response_status, response_body, created_at) VALUES ('owner', $1, 'f', $2, $3, $4, now())`,
        [key, body === null ? 'running' : 'done', body === null ? null : status, body === null ? null : JSON.stringify(body)],
      );
    }
    await old.destroy();

    // This migration, then any that came after it.
    expect((await runMigrations(scratch.toString()))[0]).toBe('ScrubIdempotentSecrets1733100000000');

    const check = new Client({ connectionString: scratch.toString() });
    await check.connect();
    const after = Object.fromEntries((await check.query(`select key, response_body from idempotency_keys`)).rows.map((row) => [row.key, row.response_body]));
    await check.end();
    expect(after).toEqual({
      'api-key': { ...(rows[0][2] as object), key: null },
      endpoint: { ...(rows[1][2] as object), secret: null },
      payment: rows[2][2],
      error: rows[3][2],
      'odd-key': rows[4][2],
      running: null,
    });
  });
});
