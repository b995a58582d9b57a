/** The database this test run prepared (test/global-setup.js); never the machine's shared one. */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through jest, whose global setup prepares the database');
  return url;
}

/** The machine's Redis (or TEST_REDIS_URL). Tests keep to their own key prefix there and never flush it. */
export function testRedisUrl(): string {
  return process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
}
