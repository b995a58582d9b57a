import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '@app/persistence';
import { scratchDatabase } from '../support/env';

/**
 * 1733000000000-lifecycle-leases over rows the previous schema made: payouts sharing a reference keep it (the
 * oldest holds it exclusively), a key left running by an earlier version gets a lease and can be taken over.
 */
describe('migration 1733000000000-lifecycle-leases', () => {
  const scratch = scratchDatabase('lifecycle_mig');
  const own = scratch.url;

  beforeAll(() => scratch.create());
  afterAll(() => scratch.drop());

  async function migrate(migrations: unknown[]): Promise<void> {
    const source = new DataSource({ type: 'postgres', url: own.toString(), migrations: migrations as never, migrationsTableName: 'migrations' });
    await source.initialize();
    try {
      await source.runMigrations({ transaction: 'each' });
    } finally {
      await source.destroy();
    }
  }

  it('carries existing payouts and running keys forward', async () => {
    const index = MIGRATIONS.findIndex((m) => m.name === 'LifecycleLeases1733000000000');
    // The schema before this migration, then this migration alone over the rows made there.
    await migrate(MIGRATIONS.slice(0, index));
    const db = new Client({ connectionString: own.toString() });
    await db.connect();
    try {
      const payout = (id: string, owner: string, reference: string | null, createdAt: string) =>
        db.query(
          `INSERT INTO payouts (id, owner_id, provider, amount, currency, status, reference, provider_state_unknown, version, created_at, updated_at)
           VALUES ($1, $2, 'flashpay', 1000, 'NGN', 'pending', $3, false, 0, $4, $4)`,
          [id, owner, reference, createdAt],
        );
      await payout('po_a', 'key_1', 'dup', '2024-01-01T00:00:00Z');
      await payout('po_b', 'key_1', 'dup', '2024-01-02T00:00:00Z');
      await payout('po_c', 'key_2', 'dup', '2024-01-03T00:00:00Z');
      await payout('po_d', 'key_1', null, '2024-01-04T00:00:00Z');
      await db.query(`INSERT INTO idempotency_keys (owner_id, key, fingerprint, state, created_at) VALUES ('key_1', 'stuck', 'f', 'running', now() - interval '5 minutes')`);
      await db.query(`INSERT INTO payments (id, owner_id, provider, amount, currency, description, status, version, created_at, updated_at)
                      VALUES ('pay_a', 'key_1', 'flexiqash', 1000, 'USD', 'old', 'pending', 0, now(), now())`);

      await migrate(MIGRATIONS.slice(0, index + 1));

      const payouts = await db.query('SELECT id, reference, reference_key FROM payouts ORDER BY id');
      expect(payouts.rows).toEqual([
        { id: 'po_a', reference: 'dup', reference_key: 'dup' },
        { id: 'po_b', reference: 'dup', reference_key: null },
        { id: 'po_c', reference: 'dup', reference_key: 'dup' },
        { id: 'po_d', reference: null, reference_key: null },
      ]);
      const key = await db.query(`SELECT state, lease_until < now() AS expired, resource_id FROM idempotency_keys WHERE key = 'stuck'`);
      expect(key.rows).toEqual([{ state: 'running', expired: true, resource_id: null }]);
      const payment = await db.query(`SELECT lease_token, lease_until FROM payments WHERE id = 'pay_a'`);
      expect(payment.rows).toEqual([{ lease_token: null, lease_until: null }]);
      // From now on the reference is exclusive per API key.
      await expect(payout('po_e', 'key_1', 'dup', '2024-01-05T00:00:00Z').then(() => db.query(`UPDATE payouts SET reference_key = reference WHERE id = 'po_e'`))).rejects.toThrow(/payouts_owner_reference_key/);
    } finally {
      await db.end();
    }
  });
});
