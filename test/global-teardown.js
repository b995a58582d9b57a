// Drops the databases that global-setup created for this run: the workers' copies, and the template when it is
// this run's own (never a database named by TEST_DATABASE_URL).
const { Client } = require('pg');

module.exports = async function globalTeardown() {
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
