// Runs once per test run, before the in-process and end-to-end tests: a database of this run's own
// (payments_test_<pid>, so runs side by side never share one), migrated by the built gateway exactly as
// `npm run migrate` would do it. TEST_DATABASE_URL names another database to use instead. Nothing here touches
// any other database, and the machine's Postgres is never restarted or reconfigured.
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Client } = require('pg');
const { buildIfNeeded } = require('../scripts/lib');

function adminUrl(url) {
  const admin = new URL(url.toString());
  admin.pathname = '/postgres';
  return admin.toString();
}

module.exports = async function globalSetup() {
  // Jest runs this once per project that names it; the first call prepares the database for all of them.
  if (process.env.PAYGW_TEST_DB_READY) return;
  const url = new URL(process.env.TEST_DATABASE_URL || `postgres://postgres@127.0.0.1:5432/payments_test_${process.pid}`);
  const name = url.pathname.slice(1);
  const client = new Client({ connectionString: adminUrl(url) });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Postgres is not reachable at ${url.host} (${error.message}); start it, e.g. docker compose up -d postgres redis`);
  }
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  buildIfNeeded();
  const migrated = spawnSync(process.execPath, [path.join(__dirname, '../dist/apps/gateway/main.js'), 'migrate'], {
    env: { ...process.env, DATABASE_URL: url.toString(), NODE_ENV: 'test' },
    encoding: 'utf8',
  });
  if (migrated.status !== 0) throw new Error(`migrations failed: ${migrated.stderr || migrated.stdout}`);
  process.env.TEST_DATABASE_URL = url.toString();
  process.env.PAYGW_TEST_DB_READY = name;
  // Drop only a database this run created for itself.
  if (!process.env.PAYGW_TEST_DB_OWNED && name === `payments_test_${process.pid}`) process.env.PAYGW_TEST_DB_OWNED = name;
};
