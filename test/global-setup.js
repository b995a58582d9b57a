// Runs once per test run, before the in-process and end-to-end tests: a database of this run's own
// (payments_test_<pid>, so runs side by side never share one), migrated by the built gateway exactly as
// `npm run migrate` would do it. TEST_DATABASE_URL names another database to use instead. That database is the
// template: each Jest worker gets a copy of its own (<name>_w1, <name>_w2, … made with CREATE DATABASE … TEMPLATE,
// which is quick), so files running side by side never see each other's rows (stored routing, counts,
// retention). test/support/env.ts picks the worker's copy through JEST_WORKER_ID. Nothing here touches any other
// database, and the machine's Postgres is never restarted or reconfigured.
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Client } = require('pg');
const { buildIfNeeded } = require('../scripts/lib');

function adminUrl(url) {
  const admin = new URL(url.toString());
  admin.pathname = '/postgres';
  return admin.toString();
}

module.exports = async function globalSetup(globalConfig) {
  // Jest runs this once per project that names it; the first call prepares the databases for all of them.
  if (process.env.PAYGW_TEST_DB_READY) return;
  const url = new URL(process.env.TEST_DATABASE_URL || `postgres://postgres@127.0.0.1:5432/payments_test_${process.pid}`);
  const name = url.pathname.slice(1);
  const workers = Math.max(1, Number(globalConfig?.maxWorkers) || 1);
  const copies = Array.from({ length: workers }, (_, i) => `${name}_w${i + 1}`);
  const client = new Client({ connectionString: adminUrl(url) });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Postgres is not reachable at ${url.host} (${error.message}); start it, e.g. docker compose up -d postgres redis`);
  }
  try {
    for (const copy of copies) await client.query(`DROP DATABASE IF EXISTS "${copy}" WITH (FORCE)`);
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
    buildIfNeeded();
    const migrated = spawnSync(process.execPath, [path.join(__dirname, '../dist/apps/gateway/main.js'), 'migrate'], {
      env: { ...process.env, DATABASE_URL: url.toString(), NODE_ENV: 'test' },
      encoding: 'utf8',
    });
    if (migrated.status !== 0) throw new Error(`migrations failed: ${migrated.stderr || migrated.stdout}`);
    // The migrating process has exited, so nobody is connected to the template any more.
    for (const copy of copies) await client.query(`CREATE DATABASE "${copy}" TEMPLATE "${name}"`);
  } finally {
    await client.end();
  }
  process.env.TEST_DATABASE_URL = url.toString();
  // Names this run's Redis key prefixes (test/support/env.ts testQueuePrefix); the teardown deletes them.
  process.env.PAYGW_TEST_RUN ??= String(process.pid);
  process.env.PAYGW_TEST_DB_READY = name;
  process.env.PAYGW_TEST_DB_WORKERS = String(workers);
  // Drop only databases this run created for itself: always the workers' copies, the template only when it is
  // this run's own (payments_test_<pid>).
  if (!process.env.PAYGW_TEST_DB_OWNED) {
    process.env.PAYGW_TEST_DB_OWNED = JSON.stringify(name === `payments_test_${process.pid}` ? [...copies, name] : copies);
  }
};
