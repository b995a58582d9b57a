import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the lifecycle core needs to stay right under races and crashes:
 * - a short lease on each payment and payout row (`lease_token`, `lease_until`), so mutating operations on one
 *   resource run one at a time across instances without a database lock held across a provider call;
 * - a lease on each running Idempotency-Key (`lease_token`, `lease_until`) and the resource created under it
 *   (`resource_id`), so a key claimed by an instance that died is taken over and answered with that resource;
 * - `payouts.reference_key`: the reference a payout holds exclusively within its API key. Existing payouts keep
 *   their reference; where several already share one, the oldest holds it and the others are left out of the
 *   constraint (their `reference` is unchanged);
 * - `payout_resolutions`: the audit of operators resolving payouts whose outcome was unknown.
 */
export class LifecycleLeases1733000000000 implements MigrationInterface {
  name = 'LifecycleLeases1733000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['payments', 'payouts']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN lease_token text, ADD COLUMN lease_until timestamptz`);
    }
    await q.query(`ALTER TABLE idempotency_keys ADD COLUMN lease_token text, ADD COLUMN lease_until timestamptz, ADD COLUMN resource_id text`);
    // A key left running by an earlier version is taken over a minute after its claim, as a new one would be.
    await q.query(`UPDATE idempotency_keys SET lease_until = created_at + interval '60 seconds' WHERE state = 'running'`);
    await q.query(`ALTER TABLE payouts ADD COLUMN reference_key text`);
    await q.query(`
      UPDATE payouts p SET reference_key = p.reference
       WHERE p.reference IS NOT NULL
         AND NOT EXISTS (
           SELECT 1 FROM payouts o
            WHERE o.owner_id = p.owner_id AND o.reference = p.reference
              AND (o.created_at, o.id) < (p.created_at, p.id))`);
    await q.query(`CREATE UNIQUE INDEX payouts_owner_reference_key ON payouts (owner_id, reference_key) WHERE reference_key IS NOT NULL`);
    await q.query(`CREATE INDEX payouts_unknown ON payouts (created_at) WHERE provider_state_unknown`);
    await q.query(`
      CREATE TABLE payout_resolutions (
        id text PRIMARY KEY,
        payout_id text NOT NULL REFERENCES payouts (id),
        operator text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('paid', 'failed')),
        provider_payout_id text,
        note text,
        created_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS payout_resolutions`);
    await q.query(`DROP INDEX IF EXISTS payouts_unknown`);
    await q.query(`DROP INDEX IF EXISTS payouts_owner_reference_key`);
    await q.query(`ALTER TABLE payouts DROP COLUMN IF EXISTS reference_key`);
    await q.query(`ALTER TABLE idempotency_keys DROP COLUMN IF EXISTS lease_token, DROP COLUMN IF EXISTS lease_until, DROP COLUMN IF EXISTS resource_id`);
    for (const table of ['payments', 'payouts']) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN IF EXISTS lease_token, DROP COLUMN IF EXISTS lease_until`);
    }
  }
}
