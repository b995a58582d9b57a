import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { developmentKeyring, openSecret } from '@app/common';
import { endpointSecretContext, ENTITIES, MIGRATIONS, openEndpointSecrets } from '@app/persistence';
import { scratchDatabase } from '../support/env';

// The migration that seals endpoint secrets, run over rows written by the schema before it: a database of its own,
// migrated up to the previous migration, filled the way the previous code wrote rows, then migrated to the end.

const SECRET_A = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
const SECRET_B = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;

describe('migration 1733200000000 (outbound webhooks v2) over rows of the previous schema', () => {
  const scratch = scratchDatabase(`mig${process.pid}`);
  const target = scratch.url;

  async function migrate(migrations: Function[]): Promise<void> {
    const dataSource = new DataSource({ type: 'postgres', url: target.toString(), entities: ENTITIES, migrations: migrations as never, logging: ['error'] });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
  }

  beforeAll(() => scratch.create());
  afterAll(() => scratch.drop());

  it('seals every existing secret (no whsec_ left in the table), keeps each openable, and carries events and attempts forward', async () => {
    const last = MIGRATIONS[MIGRATIONS.length - 1];
    expect(last.name).toBe('OutboundWebhooksV21733200000000');
    await migrate(MIGRATIONS.slice(0, -1));

    const db = new Client({ connectionString: target.toString() });
    await db.connect();
    try {
      await db.query(
        `INSERT INTO webhook_endpoints (id, owner_id, url, events, secret, enabled, created_at, updated_at)
         VALUES ('we_a', 'key_1', 'https://a.example/hook', ARRAY['*'], $1, true, now(), now()),
                ('we_b', 'key_1', 'https://b.example/hook', ARRAY['payment.succeeded'], $2, false, now(), now())`,
        [SECRET_A, SECRET_B],
      );
      await db.query(
        `INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, data, created_at)
         VALUES ('evt_1', 'key_1', 'payment.succeeded', 'pay_1', 'pay_1:3:payment.succeeded', '{}'::jsonb, now())`,
      );
      await db.query(
        `INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, created_at, updated_at)
         VALUES ('evt_1', 'we_a', 'failed', 0, 1, now(), now(), now())`,
      );
      await db.query(
        `INSERT INTO webhook_attempts (event_id, endpoint_id, attempt, status, response_status, duration_ms, error, at)
         VALUES ('evt_1', 'we_a', 1, 'failed', 500, 12, 'responded 500', now())`,
      );

      await migrate(MIGRATIONS);

      const dump = (await db.query(`SELECT row_to_json(e)::text AS line FROM webhook_endpoints e`)).rows.map((row) => row.line).join('\n');
      expect(dump).not.toContain('whsec_');
      expect(dump).not.toContain(SECRET_A.slice(6));
      const rows = (await db.query(`SELECT * FROM webhook_endpoints ORDER BY id`)).rows;
      expect(rows.map((row) => row.secret_key_id)).toEqual(['dev', 'dev']);
      const keyring = developmentKeyring();
      expect(openSecret(keyring, { keyId: rows[0].secret_key_id, sealed: rows[0].secret }, endpointSecretContext('we_a'))).toBe(SECRET_A);
      expect(openEndpointSecrets(keyring, rows[1])).toEqual([SECRET_B]);
      expect(rows.map((row) => [row.enabled, row.failing_since, row.previous_secret])).toEqual([
        [true, null, null],
        [false, null, null],
      ]);
      expect((await db.query(`SELECT sequence FROM events WHERE id = 'evt_1'`)).rows[0].sequence).toBe('3');
      expect((await db.query(`SELECT error_kind, response_body, response_status FROM webhook_attempts`)).rows).toEqual([
        { error_kind: null, response_body: null, response_status: 500 },
      ]);
    } finally {
      await db.end();
    }
  });
});
