// npm start: build if needed, check Postgres and Redis, migrate, then run sandbox + gateway + worker in the
// foreground with one log stream. Ctrl-C stops all three.
const net = require('node:net');
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
// The gateway talks to the sandboxes this command starts, on whatever ports they were given.
env.FLEXIQASH_BASE_URL ||= `http://127.0.0.1:${env.SANDBOX_FLEXIQASH_PORT || 4010}`;
env.FLASHPAY_BASE_URL ||= `http://127.0.0.1:${env.SANDBOX_FLASHPAY_PORT || 4020}`;
const ports = {
  gateway: { host: env.HOST, port: env.PORT, variable: 'PORT' },
  'FlexiQash sandbox': { host: env.SANDBOX_HOST || '127.0.0.1', port: env.SANDBOX_FLEXIQASH_PORT || '4010', variable: 'SANDBOX_FLEXIQASH_PORT' },
  'Flashpay sandbox': { host: env.SANDBOX_HOST || '127.0.0.1', port: env.SANDBOX_FLASHPAY_PORT || '4020', variable: 'SANDBOX_FLASHPAY_PORT' },
};

async function main() {
  // Ports first: a second `npm start` must stop here, before it builds, migrates or makes an admin key it cannot use.
  for (const [name, { host, port, variable }] of Object.entries(ports)) {
    const problem = await portProblem(host, Number(port));
    if (problem) {
      process.stderr.write(`${name} cannot listen on ${host}:${port} (${problem}): is another npm start running? Stop it, or set ${variable} to a free port\n`);
      process.exit(1);
    }
  }
  if (!(await checkServices(env.DATABASE_URL, env.REDIS_URL))) process.exit(1);
  let generatedAdminKey = false;
  if (!env.ADMIN_API_KEY && env.NODE_ENV !== 'production') {
    // One key for gateway and worker alike; printed in the banner so the developer can use it.
    env.ADMIN_API_KEY = `adm_${randomBytes(24).toString('base64url')}`;
    generatedAdminKey = true;
  }
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
  const ready = { sandbox: false, gateway: false, worker: false };
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
        for (const line of lines) {
          process.stdout.write(`${prefix} ${line}\n`);
          if (READY_LINES[app].test(line)) ready[app] = true;
        }
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

  // The banner comes last, once every app said it is up and the gateway answers ready, so it is not buried under
  // the apps' start-up lines.
  const deadline = Date.now() + 120_000;
  while (!stopping && Date.now() < deadline && !(ready.sandbox && ready.worker && ready.gateway && (await gatewayReady()))) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (stopping) return;
  const allReady = ready.sandbox && ready.worker && ready.gateway;
  const db = new URL(env.DATABASE_URL);
  const lines = [
    '',
    `  gateway      http://127.0.0.1:${env.PORT}        (health: /health/ready)`,
    `  API docs     http://127.0.0.1:${env.PORT}/docs`,
    `  FlexiQash    http://127.0.0.1:${env.SANDBOX_FLEXIQASH_PORT || 4010}        sandbox`,
    `  Flashpay     http://127.0.0.1:${env.SANDBOX_FLASHPAY_PORT || 4020}        sandbox`,
    `  Postgres     ${db.host}${db.pathname}`,
    `  Redis        ${new URL(env.REDIS_URL).host}  (queue prefix ${env.QUEUE_PREFIX || 'paygw'})`,
    generatedAdminKey ? `  admin key    ${env.ADMIN_API_KEY}   (generated for this run; set ADMIN_API_KEY to keep one)` : '  admin key    from ADMIN_API_KEY',
    '  Ctrl-C stops everything.',
    '',
  ];
  if (!allReady) lines.unshift('', '  (not every app reported ready within 120 s: see the lines above)');
  process.stdout.write(lines.join('\n') + '\n');
}

/** What each app prints once it serves. */
const READY_LINES = {
  sandbox: /Flashpay sandbox listening on/,
  gateway: /gateway listening on/,
  worker: /worker started/,
};

async function gatewayReady() {
  try {
    const answer = await fetch(`http://127.0.0.1:${env.PORT}/health/ready`, { signal: AbortSignal.timeout(1000) });
    return answer.status === 200;
  } catch {
    return false;
  }
}

/** Why host:port cannot be listened on (EADDRINUSE, EACCES…), or null when it can. */
function portProblem(host, port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error) => resolve(error.code === 'EADDRINUSE' ? 'the port is in use' : error.code || error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

main().catch((error) => {
  process.stderr.write(`start failed: ${error.message}\n`);
  process.exit(1);
});
