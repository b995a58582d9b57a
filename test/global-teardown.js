// Drops the database that global-setup created for this run (never one named by TEST_DATABASE_URL).
const { Client } = require('pg');

module.exports = async function globalTeardown() {
  const name = process.env.PAYGW_TEST_DB_OWNED;
  if (!name || process.env.PAYGW_TEST_KEEP_DB) return;
  delete process.env.PAYGW_TEST_DB_OWNED;
  const admin = new URL(process.env.TEST_DATABASE_URL);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
};
