import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1732240000000 implements MigrationInterface {
  name = 'InitialSchema1732240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        name text NOT NULL,
        scopes text[] NOT NULL,
        key_hash text NOT NULL UNIQUE,
        key_prefix text NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE payments (
        id text PRIMARY KEY,
        owner_id text NOT NULL,
        provider text NOT NULL,
        provider_payment_id text,
        amount bigint NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL,
        description text NOT NULL,
        reference text,
        status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled', 'expired')),
        provider_status text,
        archived boolean NOT NULL DEFAULT false,
        checkout_url text,
        payer jsonb,
        payee jsonb,
        metadata jsonb NOT NULL DEFAULT '{}',
        provider_state_unknown boolean NOT NULL DEFAULT false,
        expires_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX payments_provider_payment ON payments (provider, provider_payment_id) WHERE provider_payment_id IS NOT NULL`);
    await q.query(`CREATE INDEX payments_owner_id ON payments (owner_id, id DESC)`);
    await q.query(`CREATE INDEX payments_pending ON payments (status, updated_at) WHERE status = 'pending'`);
    await q.query(`
      CREATE TABLE payment_transactions (
        payment_id text NOT NULL REFERENCES payments (id),
        provider_transaction_id text NOT NULL,
        amount bigint,
        currency char(3) NOT NULL,
        status text NOT NULL,
        provider_status text,
        message text,
        payer jsonb,
        paid_at timestamptz,
        provider_created_at timestamptz,
        seen_at timestamptz NOT NULL,
        PRIMARY KEY (payment_id, provider_transaction_id)
      )`);
    await q.query(`
      CREATE TABLE payouts (
        id text PRIMARY KEY,
        owner_id text NOT NULL,
        provider text NOT NULL,
        provider_payout_id text,
        amount bigint NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        provider_status text,
        beneficiary_id text,
        destination jsonb,
        reference text,
        description text,
        provider_state_unknown boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX payouts_provider_payout ON payouts (provider, provider_payout_id) WHERE provider_payout_id IS NOT NULL`);
    await q.query(`CREATE INDEX payouts_owner_id ON payouts (owner_id, id DESC)`);
    await q.query(`
      CREATE TABLE routing_settings (
        id smallint PRIMARY KEY CHECK (id = 1),
        default_provider text NOT NULL,
        currency_routes jsonb NOT NULL,
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE routing_audit (
        id bigserial PRIMARY KEY,
        changed_by text NOT NULL,
        before jsonb NOT NULL,
        after jsonb NOT NULL,
        changed_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['routing_audit', 'routing_settings', 'payouts', 'payment_transactions', 'payments', 'api_keys']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
