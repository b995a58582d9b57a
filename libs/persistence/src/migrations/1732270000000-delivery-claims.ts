import { MigrationInterface, QueryRunner } from 'typeorm';

export class DeliveryClaims1732270000000 implements MigrationInterface {
  name = 'DeliveryClaims1732270000000';

  async up(q: QueryRunner): Promise<void> {
    // Set by the worker that is sending a delivery right now; another worker holding a duplicate job (a stalled
    // job re-run, a sweep re-add) sees the claim and does not send a second time.
    await q.query(`ALTER TABLE webhook_deliveries ADD COLUMN claimed_until timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_deliveries DROP COLUMN claimed_until`);
  }
}
