import { MigrationInterface, QueryRunner } from 'typeorm';

export class WebhooksOutbox1732250000000 implements MigrationInterface {
  name = 'WebhooksOutbox1732250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payments ADD COLUMN version integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE payments ADD COLUMN last_checked_at timestamptz`);
    await q.query(`ALTER TABLE payouts ADD COLUMN version integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE payouts ADD COLUMN last_checked_at timestamptz`);
    await q.query(`CREATE INDEX payouts_pending ON payouts (status, updated_at) WHERE status = 'pending'`);
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id text PRIMARY KEY,
        owner_id text NOT NULL,
        url text NOT NULL,
        events text[] NOT NULL,
        description text,
        secret text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        deleted_at timestamptz
      )`);
    await q.query(`CREATE INDEX webhook_endpoints_owner ON webhook_endpoints (owner_id) WHERE deleted_at IS NULL`);
    // The outbox: an event row is written in the same transaction as the change it describes.
    await q.query(`
      CREATE TABLE events (
        id text PRIMARY KEY,
        owner_id text NOT NULL,
        type text NOT NULL,
        resource_id text NOT NULL,
        dedupe_key text NOT NULL UNIQUE,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX events_owner ON events (owner_id, id DESC)`);
    await q.query(`CREATE INDEX events_type ON events (type, id DESC)`);
    // One row per (event, endpoint): the delivery's state, and after its last attempt the dead-letter record.
    await q.query(`
      CREATE TABLE webhook_deliveries (
        event_id text NOT NULL REFERENCES events (id),
        endpoint_id text NOT NULL REFERENCES webhook_endpoints (id),
        status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        generation integer NOT NULL DEFAULT 0,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        enqueued_at timestamptz,
        last_response_status integer,
        last_error text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (event_id, endpoint_id)
      )`);
    await q.query(`CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC)`);
    await q.query(`
      CREATE TABLE webhook_attempts (
        id bigserial PRIMARY KEY,
        event_id text NOT NULL,
        endpoint_id text NOT NULL,
        attempt integer NOT NULL,
        status text NOT NULL CHECK (status IN ('succeeded', 'failed')),
        response_status integer,
        duration_ms integer NOT NULL,
        error text,
        at timestamptz NOT NULL,
        FOREIGN KEY (event_id, endpoint_id) REFERENCES webhook_deliveries (event_id, endpoint_id)
      )`);
    await q.query(`CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id DESC)`);
    // Provider notifications as received: duplicates are recognised by their key and change nothing twice.
    await q.query(`
      CREATE TABLE inbound_webhooks (
        id bigserial PRIMARY KEY,
        provider text NOT NULL,
        dedupe_key text NOT NULL,
        payment_id text,
        outcome text NOT NULL,
        received_at timestamptz NOT NULL,
        UNIQUE (provider, dedupe_key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['inbound_webhooks', 'webhook_attempts', 'webhook_deliveries', 'events', 'webhook_endpoints']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await q.query(`DROP INDEX IF EXISTS payouts_pending`);
    for (const table of ['payments', 'payouts']) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN version, DROP COLUMN last_checked_at`);
    }
  }
}
