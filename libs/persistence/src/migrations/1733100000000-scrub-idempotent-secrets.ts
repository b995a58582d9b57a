import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Answers stored for Idempotency-Key replays used to hold the secrets they showed: a new API key (`key`, sk_…) and a
 * webhook endpoint's signing secret (`secret`, whsec_…). The gateway now stores those fields as null (and a replay
 * says so); this makes the rows stored before the change the same. The secrets cannot be brought back: down() is a
 * no-op.
 */
export class ScrubIdempotentSecrets1733100000000 implements MigrationInterface {
  name = 'ScrubIdempotentSecrets1733100000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [field, prefix] of [
      ['key', 'sk\\_%'],
      ['secret', 'whsec\\_%'],
    ]) {
      await q.query(
        `UPDATE idempotency_keys SET response_body = jsonb_set(response_body, $1::text[], 'null'::jsonb)
         WHERE jsonb_typeof(response_body) = 'object' AND response_body ->> $2 LIKE $3`,
        [[field], field, prefix],
      );
    }
  }

  async down(): Promise<void> {
    // Nothing to restore: the secrets are gone.
  }
}
