import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/common';
import { ENTITIES, MIGRATIONS } from '@app/persistence';
import { PROVIDER_CONFIGS } from '@app/providers';
import { DeliveryRepository } from '../../apps/worker/src/delivery/delivery.repository';
import { scratchDatabase } from '../support/env';

// The worker's batched claim and record statements are prepared: a connection plans each once, from the table as it
// is then, and keeps that plan. Here the plan is made while the table holds a handful of deliveries, then a backlog of
// 20,000 pending deliveries arrives, as when an endpoint has been down for a while. The statements must still look
// their deliveries up by primary key: a plan that scans the pending deliveries or the whole table costs each call
// time in proportion to the backlog. A database of its own, so the table's size is this test's to choose.

describe('the batched delivery statements keep looking deliveries up by key as the backlog grows', () => {
  const scratch = scratchDatabase(`plans${process.pid}`);
  let dataSource: DataSource;
  let repository: DeliveryRepository;

  beforeAll(async () => {
    await scratch.create();
    dataSource = new DataSource({ type: 'postgres', url: scratch.url.toString(), entities: ENTITIES, migrations: MIGRATIONS as never, logging: ['error'] });
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: scratch.url.toString(), REDIS_URL: 'redis://127.0.0.1:6379' }, PROVIDER_CONFIGS);
    repository = new DeliveryRepository(dataSource, config);
  });

  afterAll(async () => {
    await repository?.onApplicationShutdown();
    await dataSource?.destroy();
    await scratch.drop();
  });

  /** `count` events with a pending delivery each to endpoint we_plan, not due for a day (as a backlog waiting its turn). */
  async function deliveries(prefix: string, count: number, due = "now() + interval '1 day'"): Promise<string[]> {
    const rows: Array<{ id: string }> = await dataSource.query(
      `WITH ev AS (
         INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, sequence, data, created_at)
         SELECT 'evt_' || $1 || lpad(g::text, 6, '0'), 'key_plan', 'payment.succeeded', 'pay_' || $1 || g, 'pay_' || $1 || g || ':1:x', 1, '{}'::jsonb, now()
           FROM generate_series(1, $2::int) g RETURNING id
       )
       INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, enqueued_at, created_at, updated_at)
       SELECT id, 'we_plan', 'pending', 0, 0, ${due}, now(), now(), now() FROM ev RETURNING event_id AS id`,
      [prefix, count],
    );
    return rows.map((row) => row.id);
  }

  /** Claims and records one delivery as the worker does, one at a time (so on one connection of the pool). */
  async function send(eventId: string): Promise<void> {
    const ref = { eventId, endpointId: 'we_plan', generation: 0 };
    const claim = await repository.claim(ref, 12_000);
    expect(claim.kind).toBe('claimed');
    if (claim.kind !== 'claimed') return;
    const at = new Date();
    const recorded = await repository.recordAttempt(
      ref,
      claim.target.attempts,
      { at, responseStatus: 200, durationMs: 3, error: null, errorKind: null, responseBody: 'ok' },
      () => ({ status: 'succeeded' }),
    );
    expect(recorded).toEqual({ attemptNumber: 1, verdict: { status: 'succeeded' } });
  }

  it('plans made on a nearly empty table use the primary key once 20,000 deliveries are pending', async () => {
    await dataSource.query(
      `INSERT INTO webhook_endpoints (id, owner_id, url, events, secret, enabled, created_at, updated_at)
       VALUES ('we_plan', 'key_plan', 'https://plan.example/hook', ARRAY['*'], 'unsealed', true, now(), now())`,
    );
    // Eight sends: Postgres plans a prepared statement for its own arguments five times, then settles on one plan.
    for (const eventId of await deliveries('a', 8, 'now()')) await send(eventId);

    await deliveries('b', 20_000);
    const [late] = await deliveries('c', 1, 'now()');
    await send(late);

    // The connection that ran them (the pool hands back the one released last) holds both statements and the plan
    // it settled on; EXPLAIN EXECUTE shows that plan for one more delivery of the backlog.
    const pool = (repository as unknown as { batchPool: Pool }).batchPool;
    const client = await pool.connect();
    try {
      const { rows: prepared } = await client.query(
        `SELECT name, statement, generic_plans FROM pg_prepared_statements WHERE statement LIKE '%webhook_deliveries d%'`,
      );
      const claim = prepared.find((row) => row.statement.includes('claimed_until = now() + request.for_ms'));
      const record = prepared.find((row) => row.statement.includes('INSERT INTO webhook_attempts'));
      expect(claim && record).toBeTruthy();
      expect(Number(claim.generic_plans)).toBeGreaterThan(0);
      expect(Number(record.generic_plans)).toBeGreaterThan(0);

      const one = `ARRAY['evt_b000001']::text[], ARRAY['we_plan']::text[], ARRAY[0]::int[]`;
      const plans = {
        claim: await client.query(`EXPLAIN (COSTS OFF) EXECUTE ${claim.name}(${one}, ARRAY[12000]::float8[])`),
        record: await client.query(
          `EXPLAIN (COSTS OFF) EXECUTE ${record.name}(${one}, ARRAY[1]::int[], ARRAY['succeeded']::text[], ARRAY['succeeded']::text[],
             ARRAY[200]::int[], ARRAY[3]::int[], ARRAY[NULL]::text[], ARRAY[now()]::timestamptz[], ARRAY[0]::float8[],
             ARRAY[NULL]::text[], ARRAY[NULL]::text[], ARRAY['ok']::text[])`,
        ),
      };
      for (const [name, result] of Object.entries(plans)) {
        const text = result.rows.map((row) => row['QUERY PLAN']).join('\n');
        // The scan of webhook_deliveries that finds the rows to update: by primary key, nothing else.
        const scans = text.split('\n').filter((line) => /Scan.* on webhook_deliveries\b/.test(line));
        expect({ name, scans }).toEqual({ name, scans: [expect.stringContaining('Index Scan using webhook_deliveries_pkey on webhook_deliveries d')] });
      }
    } finally {
      client.release();
    }
  });
});
