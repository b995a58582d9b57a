// Runs once before the end-to-end tests: a fresh test database, migrated by the built gateway exactly as
// `npm run migrate` would do it.
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Client } = require('pg');
const { buildIfNeeded } = require('../scripts/lib');

module.exports = async function globalSetup() {
  const url = new URL(process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/payments_test');
  const name = url.pathname.slice(1);
  process.env.TEST_DATABASE_URL = url.toString();
  const admin = new URL(url.toString());
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Postgres is not reachable at ${url.host} (${error.message}); start it, e.g. docker compose up -d postgres redis`);
  }
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
  buildIfNeeded();
  const migrated = spawnSync(process.execPath, [path.join(__dirname, '../dist/apps/gateway/main.js'), 'migrate'], {
    env: { ...process.env, DATABASE_URL: url.toString(), NODE_ENV: 'test' },
    encoding: 'utf8',
  });
  if (migrated.status !== 0) throw new Error(`migrations failed: ${migrated.stderr || migrated.stdout}`);
};
