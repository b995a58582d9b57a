// npm run migrate: applies pending migrations to DATABASE_URL (creating the database if it does not exist).
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, buildIfNeeded } = require('./lib');

buildIfNeeded();
const result = spawnSync(process.execPath, [path.join(ROOT, 'dist/apps/gateway/main.js'), 'migrate'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
