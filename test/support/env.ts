import { Client } from 'pg';

/**
 * This Jest worker's database (test/global-setup.js made one copy of the migrated template per worker); never the
 * machine's shared one, and never the one another worker's files are using at the same time.
 */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through jest, whose global setup prepares the database');
  const workers = Number(process.env.PAYGW_TEST_DB_WORKERS || 0);
  if (!workers) return url;
  const worker = Number(process.env.JEST_WORKER_ID || 1);
  if (!(worker >= 1 && worker <= workers)) throw new Error(`JEST_WORKER_ID ${process.env.JEST_WORKER_ID} has no database of its own (global setup made ${workers})`);
  const own = new URL(url);
  own.pathname = `/${own.pathname.slice(1)}_w${worker}`;
  return own.toString();
}

/** The machine's Redis (or TEST_REDIS_URL). Tests keep to their own key prefix there and never flush it. */
export function testRedisUrl(): string {
  return process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
}

/**
 * A QUEUE_PREFIX of this test run's own: `paygw-<name>-r<run>-<pid>`. The run's global teardown deletes every Redis
 * key under `paygw-*-r<run>-*`, so what a test leaves in Redis (queues, counters, locks) goes with the run even
 * when the test stops halfway; nothing else in Redis is touched.
 */
export function testQueuePrefix(name: string): string {
  return `paygw-${name}-r${process.env.PAYGW_TEST_RUN ?? 'x'}-${process.pid}`;
}

/**
 * A scratch database next to this worker's test database, for a test that needs a schema of its own (a migration
 * run over old rows, a second worker's keys): its name (`<test database>_<suffix>`), its URL, and the URL of the
 * server's `postgres` database to create and drop it from.
 */
export function scratchDatabase(suffix: string): { name: string; url: URL; create(): Promise<void>; drop(): Promise<void> } {
  const base = new URL(testDatabaseUrl());
  const name = `${base.pathname.slice(1)}_${suffix}`;
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  const admin = new URL(base.toString());
  admin.pathname = '/postgres';
  const onAdmin = async (statements: string[]) => {
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      for (const sql of statements) await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const dropSql = `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`;
  return {
    name,
    url,
    /** Empty: dropped first if an earlier run left it. */
    create: () => onAdmin([dropSql, `CREATE DATABASE "${name}"`]),
    drop: () => onAdmin([dropSql]),
  };
}
