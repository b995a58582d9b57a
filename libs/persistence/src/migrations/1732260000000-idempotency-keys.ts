import { MigrationInterface, QueryRunner } from 'typeorm';

export class IdempotencyKeys1732260000000 implements MigrationInterface {
  name = 'IdempotencyKeys1732260000000';

  async up(q: QueryRunner): Promise<void> {
    // Keyed by (API key, Idempotency-Key): the primary key is what makes one request win across every instance.
    await q.query(`
      CREATE TABLE idempotency_keys (
        owner_id text NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        state text NOT NULL CHECK (state IN ('running', 'done')),
        response_status integer,
        response_body jsonb,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (owner_id, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS idempotency_keys`);
  }
}
