import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { DEVELOPMENT_SECRETS_KEY, DEVELOPMENT_SECRETS_KEY_ID, developmentKeyring, openSecret, sealSecret, SecretsKeyring } from '@app/common';
import { endpointSecretContext, ENTITIES, MIGRATIONS } from '@app/persistence';
import { SecretResealService } from '../../apps/worker/src/secrets/secret-reseal.service';
import { startInProcessWorker, InProcessWorker } from '../support/in-process-worker';
import { testRedisUrl, testQueuePrefix, scratchDatabase } from '../support/env';
import { deleteKeysWithPrefix, eventually } from '../support/services';

// After SECRETS_ENCRYPTION_KEY is rotated, the worker re-seals every endpoint secret under the new key, at start-up
// and on its timer. A database of its own: re-sealing touches every row of webhook_endpoints, and the other tests'
// workers only hold the development key.

const NEW_KEY = randomBytes(32);
const NEW_KEY_ID = 'k2';
const rotatedKeyring: SecretsKeyring = {
  currentId: NEW_KEY_ID,
  keys: new Map([
    [NEW_KEY_ID, NEW_KEY],
    [DEVELOPMENT_SECRETS_KEY_ID, DEVELOPMENT_SECRETS_KEY],
  ]),
};
const secretOf = (n: number) => `whsec_${Buffer.alloc(32, n).toString('base64')}`;

describe('re-sealing endpoint secrets after a key rotation', () => {
  const scratch = scratchDatabase(`reseal${process.pid}`);
  const target = scratch.url;
  let db: Client;
  const workers: InProcessWorker[] = [];
  const queuePrefix = testQueuePrefix('reseal');

  beforeAll(async () => {
    await scratch.create();
    const dataSource = new DataSource({ type: 'postgres', url: target.toString(), entities: ENTITIES, migrations: MIGRATIONS as never, logging: ['error'] });
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.destroy();
    db = new Client({ connectionString: target.toString() });
    await db.connect();
  });

  afterAll(async () => {
    for (const worker of workers) await worker.close();
    await deleteKeysWithPrefix(testRedisUrl(), queuePrefix);
    await db?.end();
    await scratch.drop();
  });

  /** An endpoint as a gateway with the development key wrote it; `previous` adds a rotation's previous secret. */
  async function insert(id: string, secret: string, options: { previous?: string; keyring?: SecretsKeyring; clear?: boolean } = {}) {
    const keyring = options.keyring ?? developmentKeyring();
    const sealed = options.clear ? { sealed: secret, keyId: null } : sealSecret(keyring, secret, endpointSecretContext(id));
    const previous = options.previous ? sealSecret(keyring, options.previous, endpointSecretContext(id)) : null;
    await db.query(
      `INSERT INTO webhook_endpoints (id, owner_id, url, events, secret, secret_key_id, previous_secret, previous_secret_key_id,
                                      previous_secret_expires_at, enabled, created_at, updated_at)
       VALUES ($1, 'key_reseal', 'https://hooks.example/x', ARRAY['*'], $2, $3, $4, $5, $6, true, now(), now())`,
      [id, sealed.sealed, sealed.keyId, previous?.sealed ?? null, previous?.keyId ?? null, previous ? new Date(Date.now() + 3_600_000) : null],
    );
  }

  async function stored(id: string) {
    return (await db.query(`SELECT * FROM webhook_endpoints WHERE id = $1`, [id])).rows[0];
  }

  function open(row: { id: string; secret: string; secret_key_id: string }, column: 'secret' | 'previous_secret' = 'secret') {
    const keyId = column === 'secret' ? row.secret_key_id : (row as any).previous_secret_key_id;
    return openSecret(rotatedKeyring, { keyId, sealed: (row as any)[column] }, endpointSecretContext(row.id));
  }

  const worker = async () => {
    const started = await startInProcessWorker({
      DATABASE_URL: target.toString(),
      QUEUE_PREFIX: queuePrefix,
      SECRETS_ENCRYPTION_KEY: NEW_KEY.toString('base64'),
      SECRETS_ENCRYPTION_KEY_ID: NEW_KEY_ID,
      SECRETS_ENCRYPTION_OLD_KEYS: `${DEVELOPMENT_SECRETS_KEY_ID}:${DEVELOPMENT_SECRETS_KEY.toString('base64')}`,
      RETENTION_INTERVAL: '1d',
    });
    workers.push(started);
    return started;
  };

  it('a worker re-seals every secret under the new key when it starts; the secrets stay the same and a second pass finds nothing', async () => {
    await insert('we_a', secretOf(1));
    await insert('we_b', secretOf(2), { previous: secretOf(3) });
    await insert('we_c', secretOf(4), { clear: true });
    // Sealed under a key no longer configured: left as it is, and the others are still re-sealed.
    await insert('we_lost', secretOf(5), { keyring: { currentId: 'gone', keys: new Map([['gone', randomBytes(32)]]) } });
    const lostBefore = await stored('we_lost');

    const first = await worker();
    await eventually(
      async () => (await db.query(`SELECT id FROM webhook_endpoints WHERE secret_key_id = $1 ORDER BY id`, [NEW_KEY_ID])).rows.map((r) => r.id),
      (ids) => ids.length === 3,
      10_000,
    );
    expect((await db.query(`SELECT id FROM webhook_endpoints WHERE secret_key_id = $1 ORDER BY id`, [NEW_KEY_ID])).rows.map((r) => r.id)).toEqual(['we_a', 'we_b', 'we_c']);
    const a = await stored('we_a');
    const b = await stored('we_b');
    const c = await stored('we_c');
    expect(open(a)).toBe(secretOf(1));
    expect(open(b)).toBe(secretOf(2));
    expect(b.previous_secret_key_id).toBe(NEW_KEY_ID);
    expect(open(b, 'previous_secret')).toBe(secretOf(3));
    expect(c.secret_key_id).toBe(NEW_KEY_ID);
    expect(c.secret).not.toContain('whsec_');
    expect(open(c)).toBe(secretOf(4));
    expect(await stored('we_lost')).toEqual(lostBefore);

    // Idempotent: nothing is left to re-seal, so nothing is rewritten.
    expect(await first.get<SecretResealService>(SecretResealService).runOnce()).toBe(0);
    expect((await stored('we_a')).secret).toBe(a.secret);
  });

  it('two workers re-sealing at once re-seal each endpoint once between them', async () => {
    const one = workers[0] ?? (await worker());
    const two = await worker();
    // Its start-up pass (nothing to do) is over before the rows below exist.
    await two.get<SecretResealService>(SecretResealService).idle();
    await one.get<SecretResealService>(SecretResealService).idle();
    const ids = Array.from({ length: 40 }, (_, i) => `we_pair${String(i).padStart(3, '0')}`);
    for (const [i, id] of ids.entries()) await insert(id, secretOf(10 + i));
    const passes = await Promise.all([one.get<SecretResealService>(SecretResealService).runOnce(), two.get<SecretResealService>(SecretResealService).runOnce()]);
    expect(passes[0] + passes[1]).toBe(ids.length);
    for (const [i, id] of ids.entries()) {
      const row = await stored(id);
      expect(row.secret_key_id).toBe(NEW_KEY_ID);
      expect(open(row)).toBe(secretOf(10 + i));
    }
    expect(await one.get<SecretResealService>(SecretResealService).runOnce()).toBe(0);
  });
});
