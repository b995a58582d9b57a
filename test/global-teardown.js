// Deletes this run's Redis keys, and drops the databases that global-setup created for this run: the workers'
// copies, and the template when it is this run's own (never a database named by TEST_DATABASE_URL).
const { Client } = require('pg');
const Redis = require('ioredis');

/** Deletes the Redis keys under this run's queue prefixes (`{paygw-<name>-r<run>-<pid>}:…`), and nothing else. */
async function deleteRunKeys(run) {
  const redis = new Redis(process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{paygw-*-r${run}-*}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

module.exports = async function globalTeardown() {
  const run = process.env.PAYGW_TEST_RUN;
  if (run) {
    delete process.env.PAYGW_TEST_RUN;
    await deleteRunKeys(run).catch((error) => process.stderr.write(`could not delete this run's Redis keys: ${error.message}\n`));
  }
  const owned = process.env.PAYGW_TEST_DB_OWNED;
  if (!owned || process.env.PAYGW_TEST_KEEP_DB) return;
  delete process.env.PAYGW_TEST_DB_OWNED;
  const admin = new URL(process.env.TEST_DATABASE_URL);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    for (const name of JSON.parse(owned)) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
};
