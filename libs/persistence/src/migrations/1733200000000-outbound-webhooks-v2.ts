import { MigrationInterface, QueryRunner } from 'typeorm';
import { loadSecretsKeyring, sealSecret } from '@app/common';

/**
 * The additional data an endpoint's secrets are sealed with: a ciphertext copied onto another endpoint does not
 * open. The same for the current and the previous secret, so a rotation moves the sealed value without opening it.
 */
export function endpointSecretContext(endpointId: string): string {
  return `webhook_endpoints.secret:${endpointId}`;
}

const BATCH = 500;

/**
 * Endpoint secrets encrypted at rest (with the key id beside each), the previous secret kept during a rotation's
 * grace period, endpoint health, a per-resource sequence on events, richer attempt records, and the indexes
 * retention deletes by.
 */
export class OutboundWebhooksV21733200000000 implements MigrationInterface {
  name = 'OutboundWebhooksV21733200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE webhook_endpoints
        ADD COLUMN secret_key_id text,
        ADD COLUMN previous_secret text,
        ADD COLUMN previous_secret_key_id text,
        ADD COLUMN previous_secret_expires_at timestamptz,
        ADD COLUMN failing_since timestamptz,
        ADD COLUMN disabled_at timestamptz`);
    // Existing plaintext secrets are sealed with the configured key (the development key outside production).
    const keyring = loadSecretsKeyring(process.env, process.env.NODE_ENV === 'production');
    for (;;) {
      const rows: Array<{ id: string; secret: string }> = await q.query(
        `SELECT id, secret FROM webhook_endpoints WHERE secret_key_id IS NULL ORDER BY id LIMIT ${BATCH}`,
      );
      if (rows.length === 0) break;
      const sealed = rows.map((row) => ({ id: row.id, ...sealSecret(keyring, row.secret, endpointSecretContext(row.id)) }));
      await q.query(
        `UPDATE webhook_endpoints e SET secret = r.sealed, secret_key_id = r.key_id
           FROM unnest($1::text[], $2::text[], $3::text[]) AS r(id, sealed, key_id)
          WHERE e.id = r.id`,
        [sealed.map((s) => s.id), sealed.map((s) => s.sealed), sealed.map((s) => s.keyId)],
      );
    }

    // The version of the resource after the change the event describes; the dedupe key already holds it.
    await q.query(`ALTER TABLE events ADD COLUMN sequence bigint`);
    await q.query(`UPDATE events SET sequence = split_part(dedupe_key, ':', 2)::bigint WHERE split_part(dedupe_key, ':', 2) ~ '^[0-9]+$'`);
    await q.query(`CREATE INDEX events_created ON events (created_at)`);

    await q.query(`ALTER TABLE webhook_attempts ADD COLUMN error_kind text, ADD COLUMN response_body text`);
    await q.query(`CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id, id)`);
    await q.query(`CREATE INDEX webhook_attempts_at ON webhook_attempts (at)`);
    // Dead letters of one endpoint, newest first, and recovery "since".
    await q.query(`CREATE INDEX webhook_deliveries_failed ON webhook_deliveries (endpoint_id, created_at) WHERE status = 'failed'`);
    await q.query(`CREATE INDEX inbound_webhooks_received ON inbound_webhooks (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Secrets stay sealed: going down does not write them back in clear.
    await q.query(`DROP INDEX IF EXISTS inbound_webhooks_received`);
    await q.query(`DROP INDEX IF EXISTS webhook_deliveries_failed`);
    await q.query(`DROP INDEX IF EXISTS webhook_attempts_at`);
    await q.query(`DROP INDEX IF EXISTS webhook_attempts_event`);
    await q.query(`ALTER TABLE webhook_attempts DROP COLUMN error_kind, DROP COLUMN response_body`);
    await q.query(`DROP INDEX IF EXISTS events_created`);
    await q.query(`ALTER TABLE events DROP COLUMN sequence`);
    await q.query(`
      ALTER TABLE webhook_endpoints
        DROP COLUMN previous_secret, DROP COLUMN previous_secret_key_id, DROP COLUMN previous_secret_expires_at,
        DROP COLUMN failing_since, DROP COLUMN disabled_at`);
  }
}
