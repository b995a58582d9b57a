import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { newId } from '@app/common';
import { ApiKeyRepository, IdempotencyRepository, PaymentEntity, PaymentRepository } from '@app/persistence';
import { startInProcessGateway, InProcessGateway } from '../support/in-process';

// The repositories over this run's migrated database, resolved from the gateway's own module (no fakes).
describe('repositories over the real database', () => {
  let gw: InProcessGateway;
  let payments: PaymentRepository;
  let dataSource: DataSource;
  beforeAll(async () => {
    gw = await startInProcessGateway();
    payments = gw.get(PaymentRepository);
    dataSource = gw.get(getDataSourceToken());
  });
  afterAll(async () => {
    await gw?.close();
  });

  function payment(ownerId: string, extra: Partial<PaymentEntity> = {}): PaymentEntity {
    const now = new Date();
    return {
      id: newId('pay'),
      ownerId,
      provider: 'flexiqash',
      providerPaymentId: `fq-${randomBytes(6).toString('hex')}`,
      amount: 100,
      currency: 'USD',
      description: 'repo',
      reference: null,
      status: 'pending',
      providerStatus: null,
      archived: false,
      checkoutUrl: null,
      payer: null,
      payee: null,
      metadata: {},
      providerStateUnknown: false,
      expiresAt: null,
      version: 0,
      lastCheckedAt: null,
      createdAt: now,
      updatedAt: now,
      ...extra,
    };
  }

  it('an optimistic update writes only while the stored version is the one read; a concurrent change makes it lose', async () => {
    const row = payment(`owner-${process.pid}-opt`);
    await payments.insert(row);
    const read = (await payments.findVisible(row.id, row.ownerId))!;
    expect(read).toMatchObject({ id: row.id, version: 0, amount: 100 });

    // Someone else changes it first (the locked path, as a webhook would).
    await payments.transaction(async (manager) => {
      const locked = (await payments.lockById(manager, row.id))!;
      locked.providerStatus = 'seen-elsewhere';
      locked.version += 1;
      await payments.save(locked, manager);
    });
    const stale = { ...read, amount: 999, version: read.version + 1 };
    const { sql, params } = payments.updateIfVersion(stale, read.version);
    expect(await dataSource.query(sql, params)).toEqual([[], 0]);
    expect(await payments.findById(row.id)).toMatchObject({ amount: 100, providerStatus: 'seen-elsewhere', version: 1 });

    const fresh = (await payments.findById(row.id))!;
    const current = payments.updateIfVersion({ ...fresh, amount: 300, version: 2 }, fresh.version);
    const [written] = await dataSource.query(current.sql, current.params);
    expect(written).toEqual([{ id: row.id }]);
    expect(await payments.findById(row.id)).toMatchObject({ amount: 300, providerStatus: 'seen-elsewhere', version: 2 });
  });

  it('lockById makes a second locker wait for the first to commit, then read its change', async () => {
    const row = payment(`owner-${process.pid}-lock`);
    await payments.insert(row);
    let commitFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (commitFirst = resolve));
    let firstLocked!: () => void;
    const locked = new Promise<void>((resolve) => (firstLocked = resolve));
    const first = payments.transaction(async (manager) => {
      const mine = (await payments.lockById(manager, row.id))!;
      firstLocked();
      await firstMayCommit;
      mine.status = 'succeeded';
      mine.version += 1;
      await payments.save(mine, manager);
    });
    await locked;
    const second = payments.transaction((manager) => payments.lockById(manager, row.id));
    // Wait (on Postgres's word, not a clock) until the second locker is blocked on the row lock.
    for (let waiting = 0; waiting === 0; ) {
      const { rows } = await gw.db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'`,
      );
      waiting = rows[0].n;
    }
    commitFirst();
    await first;
    expect(await second).toMatchObject({ status: 'succeeded', version: 1 });
  });

  it('lists one owner newest first with filters, and pages with a cursor without gaps or repeats', async () => {
    const owner = `owner-${process.pid}-list`;
    const rows: PaymentEntity[] = [];
    for (let i = 0; i < 7; i++) {
      const row = payment(owner, { reference: i % 2 === 0 ? 'even' : 'odd', archived: i === 3, status: i === 5 ? 'succeeded' : 'pending' });
      await payments.insert(row);
      rows.push(row);
    }
    await payments.insert(payment(`owner-${process.pid}-someone-else`));
    const newestFirst = rows.map((r) => r.id).sort().reverse();

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await payments.list({ ownerId: owner, limit: 3, cursor });
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data.map((p) => p.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(newestFirst);

    expect((await payments.list({ ownerId: owner, limit: 100, reference: 'odd' })).data.map((p) => p.id)).toEqual(
      rows.filter((_, i) => i % 2 === 1).map((r) => r.id).sort().reverse(),
    );
    expect((await payments.list({ ownerId: owner, limit: 100, archived: true })).data.map((p) => p.id)).toEqual([rows[3].id]);
    expect((await payments.list({ ownerId: owner, limit: 100, status: 'succeeded' })).data.map((p) => p.id)).toEqual([rows[5].id]);
    const exact = await payments.list({ ownerId: owner, limit: 7 });
    expect(exact.nextCursor).toBeNull();
    expect((await payments.findVisible(rows[0].id, `owner-${process.pid}-someone-else`))).toBeNull();
  });

  it('an idempotency key is claimed by exactly one of many concurrent claimants', async () => {
    const keys = gw.get<IdempotencyRepository>(IdempotencyRepository);
    const owner = `owner-${process.pid}-claims`;
    const tokens = Array.from({ length: 10 }, (_, i) => `token-${i}`);
    const results = await Promise.all(tokens.map((token) => keys.claim(owner, 'one-key', 'fp', token, 30_000)));
    const won = results.map((r, i) => [r, tokens[i]] as const).filter(([r]) => r.kind === 'won');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'held').map((r) => (r as { record: { state: string } }).record.state)).toEqual(Array(9).fill('running'));
    await keys.complete(owner, 'one-key', won[0][1], 201, { ok: true });
    expect(await keys.claim(owner, 'one-key', 'fp', 'later', 30_000)).toMatchObject({ kind: 'held', record: { state: 'done', responseStatus: 201, responseBody: { ok: true } } });
    await keys.release(owner, 'one-key', won[0][1]); // only a running key is given back
    expect(await keys.claim(owner, 'one-key', 'fp', 'later', 30_000)).toMatchObject({ kind: 'held', record: { state: 'done' } });
  });

  it('revoking an API key answers its hash once and hides it from lookups', async () => {
    const apiKeys = gw.get<ApiKeyRepository>(ApiKeyRepository);
    const id = newId('key');
    const hash = randomBytes(32).toString('hex');
    await apiKeys.insert({ id, name: 'repo', scopes: ['payments:read'], keyHash: hash, keyPrefix: 'sk_repo', createdBy: 'admin', createdAt: new Date(), revokedAt: null });
    expect(await apiKeys.findActiveByHash(hash)).toMatchObject({ id });
    expect(await apiKeys.revoke(id)).toBe(hash);
    expect(await apiKeys.revoke(id)).toBeNull();
    expect(await apiKeys.findActiveByHash(hash)).toBeNull();
    expect((await apiKeys.listActive()).map((k) => k.id)).not.toContain(id);
  });
});
