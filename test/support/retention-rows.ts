type Query = (sql: string, params: unknown[]) => Promise<unknown>;

/**
 * Writes `count` events of `age` (an interval, e.g. '3 days') for one endpoint, each with a delivery in `status` and
 * two failed attempts (one 3 hours old, one now), as the outbox and the worker would have left them: the rows a
 * retention pass sorts into kept and removed. Event ids are `evt_<idPrefix><tag><label><n>`, so a test can count
 * what is left of each seed.
 */
export function retentionSeeder(query: Query, seed: { tag: string; owner: string; endpointId: string; idPrefix?: string }) {
  return async (label: string, count: number, age: string, status: string): Promise<void> => {
    await query(
      `WITH ev AS (
         INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, sequence, data, created_at)
         SELECT 'evt_' || $8 || $1 || $2 || lpad(g::text, 6, '0'), $3, 'payment.succeeded', 'pay_' || $8 || $1 || $2 || g, 'pay_' || $8 || $1 || $2 || g || ':1:x', 1, '{}'::jsonb, now() - $5::interval
           FROM generate_series(1, $4::int) g RETURNING id, created_at
       ), d AS (
         INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, created_at, updated_at)
         SELECT id, $6, $7, 0, 2, now() + interval '1 day', created_at, created_at FROM ev RETURNING event_id
       )
       INSERT INTO webhook_attempts (event_id, endpoint_id, attempt, status, response_status, duration_ms, at)
       SELECT event_id, $6, a, 'failed', 500, 3, CASE a WHEN 1 THEN now() - interval '3 hours' ELSE now() END FROM d, generate_series(1, 2) a`,
      [seed.tag, label, seed.owner, count, age, seed.endpointId, status, seed.idPrefix ?? ''],
    );
  };
}
