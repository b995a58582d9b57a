// npm start: build if needed, check Postgres and Redis, migrate, then run sandbox + gateway + worker in the
// foreground with one log stream. Ctrl-C stops all three.
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const { ROOT, appNodeEnv, buildIfNeeded, checkServices } = require('./lib');

const env = { ...process.env };
env.DATABASE_URL ||= 'postgres://postgres@127.0.0.1:5432/payments';
env.REDIS_URL ||= 'redis://127.0.0.1:6379';
env.PORT ||= '3000';
// On a developer's machine the gateway stays on loopback unless told otherwise; containers bind every interface.
env.HOST ||= '127.0.0.1';
env.PUBLIC_BASE_URL ||= `http://127.0.0.1:${env.PORT}`;
let generatedAdminKey = false;
if (!env.ADMIN_API_KEY && env.NODE_ENV !== 'production') {
  // One key for gateway and worker alike; printed below so the developer can use it.
  env.ADMIN_API_KEY = `adm_${randomBytes(24).toString('base64url')}`;
  generatedAdminKey = true;
}

async function main() {
  if (!(await checkServices(env.DATABASE_URL, env.REDIS_URL))) process.exit(1);
  buildIfNeeded();
  const migrated = spawnSync(process.execPath, [path.join(ROOT, 'dist/apps/gateway/main.js'), 'migrate'], { env, stdio: 'inherit' });
  if (migrated.status !== 0) process.exit(migrated.status ?? 1);

  const children = new Map();
  let stopping = false;
  const stopAll = (code) => {
    if (stopping) return;
    stopping = true;
    for (const child of children.values()) child.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const child of children.values()) child.kill('SIGKILL');
    }, 10_000);
    force.unref();
    process.exitCode = code;
  };

  const width = 8;
  for (const app of ['sandbox', 'gateway', 'worker']) {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps', app, 'main.js')], {
      env: app === 'sandbox' ? env : appNodeEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(app, child);
    const prefix = `[${app}]`.padEnd(width + 2);
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.on('data', (chunk) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop();
        for (const line of lines) process.stdout.write(`${prefix} ${line}\n`);
      });
    }
    child.on('exit', (code, signal) => {
      children.delete(app);
      if (!stopping) {
        process.stdout.write(`${prefix} exited (${signal ?? code}); stopping the others\n`);
        stopAll(code || 1);
      }
      if (children.size === 0) process.exit(process.exitCode ?? 0);
    });
  }
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));

  const db = new URL(env.DATABASE_URL);
  const lines = [
    '',
    `  gateway      http://127.0.0.1:${env.PORT}        (health: /health/ready)`,
    `  FlexiQash    http://127.0.0.1:${env.SANDBOX_FLEXIQASH_PORT || 4010}        sandbox`,
    `  Flashpay     http://127.0.0.1:${env.SANDBOX_FLASHPAY_PORT || 4020}        sandbox`,
    `  Postgres     ${db.host}${db.pathname}`,
    `  Redis        ${new URL(env.REDIS_URL).host}  (queue prefix ${env.QUEUE_PREFIX || 'paygw'})`,
    generatedAdminKey ? `  admin key    ${env.ADMIN_API_KEY}   (generated for this run; set ADMIN_API_KEY to keep one)` : '  admin key    from ADMIN_API_KEY',
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error) => {
  process.stderr.write(`start failed: ${error.message}\n`);
  process.exit(1);
});
