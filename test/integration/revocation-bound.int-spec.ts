import { ApiKeyService, hashKey } from '@app/auth';
import { ApiKeyRepository } from '@app/persistence';
import { startInProcessGateway, InProcessGateway } from '../support/in-process';

const CACHE_TTL_MS = 400;

/** Two gateway instances on one database, as two processes behind a load balancer would be. */
describe('revoked keys across two instances', () => {
  let a: InProcessGateway;
  let b: InProcessGateway;
  beforeAll(async () => {
    const env = { API_KEY_CACHE_TTL_MS: String(CACHE_TTL_MS), RATE_LIMIT_PER_SECOND: '0' };
    [a, b] = await Promise.all([startInProcessGateway({ env }), startInProcessGateway({ env })]);
    await Promise.all([a, b].map((gw) => until(() => gw.get<ApiKeyService>(ApiKeyService).revocations.listening)));
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  const through = async (gw: InProcessGateway, key: string) => (await gw.request('GET', '/v1/payments?limit=1', { key })).status;
  const keyId = async (key: string) => (await a.db.query('select id from api_keys where key_hash = $1', [hashKey(key)])).rows[0].id as string;

  it('200 trials: revoke on A, then at once on B, which had the key cached: B never accepts it', async () => {
    let accepted = 0;
    for (let trial = 0; trial < 200; trial++) {
      const key = await a.newKey(['payments:read']);
      expect(await through(b, key)).toBe(200); // B caches it
      expect((await a.request('DELETE', `/v1/api-keys/${await keyId(key)}`)).status).toBe(204);
      if ((await through(b, key)) === 200) accepted++;
    }
    process.stdout.write(`revocation trials: B accepted a revoked key in ${accepted} of 200\n`);
    expect(accepted).toBe(0);
  });

  it('an instance that missed the notification refuses the key within the cache TTL', async () => {
    const key = await a.newKey(['payments:read']);
    expect(await through(b, key)).toBe(200);
    // A revocation nobody hears: the row changes, no NOTIFY is sent.
    await a.db.query('update api_keys set revoked_at = now() where key_hash = $1', [hashKey(key)]);
    const revokedAt = Date.now();
    expect(await through(b, key)).toBe(200); // still cached: this is what the bound is about
    await until(async () => (await through(b, key)) === 401, 5000);
    const refusedAfter = Date.now() - revokedAt;
    process.stdout.write(`missed notification: refused ${refusedAfter} ms after the revoke (TTL ${CACHE_TTL_MS} ms)\n`);
    expect(refusedAfter).toBeLessThanOrEqual(CACHE_TTL_MS + 100);
  });

  it('a lost LISTEN connection clears the cache at once', async () => {
    const key = await a.newKey(['payments:read']);
    expect(await through(b, key)).toBe(200);
    const listener = b.get<ApiKeyService>(ApiKeyService).revocations;
    const backends = (await b.db.query(`select pid from pg_stat_activity where application_name = 'paygw-revocation-listener' and datname = current_database()`)).rows;
    expect(backends).toHaveLength(2); // one per instance
    // Ending every listener of this database: B's is one of them.
    await b.db.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'paygw-revocation-listener' and datname = current_database()`);
    await until(() => !listener.listening);
    await a.db.query('update api_keys set revoked_at = now() where key_hash = $1', [hashKey(key)]);
    expect(await through(b, key)).toBe(401);
    await Promise.all([a, b].map((gw) => until(() => gw.get<ApiKeyService>(ApiKeyService).revocations.listening)));
  });

  it('a lookup that read the key before the revoke committed does not cache it', async () => {
    const key = await a.newKey(['payments:read']);
    const repository = b.get<ApiKeyRepository>(ApiKeyRepository);
    const original = repository.findActiveByHash.bind(repository);
    let readDone!: () => void;
    const read = new Promise<void>((resolve) => (readDone = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    repository.findActiveByHash = async (hash: string) => {
      const row = await original(hash);
      readDone();
      await released; // the row was read while the key was active; the answer is held here
      return row;
    };
    try {
      const inFlight = through(b, key);
      await read;
      expect((await a.request('DELETE', `/v1/api-keys/${await keyId(key)}`)).status).toBe(204);
      await b.get<ApiKeyService>(ApiKeyService).revocations.heard(hashKey(key), 2000);
      release();
      expect(await inFlight).toBe(200); // it began before the revoke
    } finally {
      repository.findActiveByHash = original;
    }
    expect(await through(b, key)).toBe(401);
  });
});
