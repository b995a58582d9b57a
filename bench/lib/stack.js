// Starts and stops what the benchmark measures: a dedicated Postgres database, the sandbox, gateway and worker as
// their own processes (the built bundles, configured only by environment variables, as in production), and a
// bare node:http server for the baseline. Everything started here is registered and stopped by stopAll(), which
// run.js calls on success, on failure and on Ctrl-C.
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { Client } = require('pg');
const { appNodeEnv } = require('../../scripts/lib');

const ROOT = path.resolve(__dirname, '../..');
const HOST = '127.0.0.1';

const BENCH = {
  database: process.env.BENCH_DATABASE_URL || `postgres://postgres@${HOST}:5432/payments_bench`,
  redis: process.env.BENCH_REDIS_URL || `redis://${HOST}:6379`,
  // Another bench on the same Redis (another checkout) needs its own prefix, as it needs its own database: the two
  // would otherwise share queues and delete each other's keys. BENCH_QUEUE_PREFIX with BENCH_DATABASE_URL.
  queuePrefix: process.env.BENCH_QUEUE_PREFIX || 'paygw-bench',
  adminKey: 'bench-admin-key-0123456789abcdef',
};

const children = new Set();
const cleanups = [];

function logDir() {
  if (!logDir.dir) logDir.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paygw-bench-'));
  return logDir.dir;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, check, timeoutMs = 30_000, stepMs = 100) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(stepMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Runs `node <script>` with its output appended to <logDir>/<name>.log (a file, not a pipe: the apps write their
 * JSON log lines synchronously, and a file costs them what a log shipper's file or pipe would).
 */
function startProcess(name, script, env, execArgv = []) {
  const file = path.join(logDir(), `${name}.log`);
  const fd = fs.openSync(file, 'a');
  const child = spawn(process.execPath, [...execArgv, script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH || '', ...env },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal || code)));
  const handle = {
    name,
    child,
    pid: child.pid,
    logFile: file,
    exited,
    log: () => fs.readFileSync(file, 'utf8'),
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop(timeoutMs = 20_000) {
      if (handle.alive()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => handle.alive() && child.kill('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      children.delete(handle);
    },
  };
  children.add(handle);
  return handle;
}

async function waitForHttp(handle, url, timeoutMs = 30_000) {
  await until(`${handle.name} at ${url}`, async () => {
    if (!handle.alive()) throw new Error(`${handle.name} exited early; its log: ${handle.logFile}\n${tail(handle.log())}`);
    return (await fetch(url)).ok;
  }, timeoutMs).catch((error) => {
    if (/exited early/.test(error.message)) throw error;
    throw new Error(`${error.message}; log: ${handle.logFile}\n${tail(handle.log())}`);
  });
}

function tail(text, lines = 15) {
  return text.split('\n').slice(-lines).join('\n');
}

/** Drops and re-creates the bench database, then applies the migrations with the gateway's own `migrate`. */
async function recreateDatabase() {
  await dropDatabase();
  const result = spawnSync(process.execPath, [path.join(ROOT, 'dist/apps/gateway/main.js'), 'migrate'], {
    env: { PATH: process.env.PATH || '', DATABASE_URL: BENCH.database, ADMIN_API_KEY: BENCH.adminKey },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`migrate failed: ${result.stdout}${result.stderr}`);
}

async function dropDatabase() {
  const url = new URL(BENCH.database);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[a-z0-9_]*bench[a-z0-9_]*$/.test(name)) throw new Error(`refusing to drop "${name}": the bench database name must contain "bench"`);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Deletes the bench's own Redis keys (its queue prefix); nothing else in Redis is touched. */
async function clearRedisPrefix() {
  const Redis = require('ioredis');
  const redis = new Redis(BENCH.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${BENCH.queuePrefix}}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * BENCH_APP_ENV="WORKER_CONCURRENCY=50,NODE_OPTIONS=--max-old-space-size=128": extra variables for gateway and
 * worker, to measure a setting's effect without editing anything. Printed with the results.
 */
function appEnvOverrides() {
  const raw = process.env.BENCH_APP_ENV || '';
  return Object.fromEntries(
    raw
      .split(',')
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

/** The environment shared by gateway and worker, with the Node options `npm start` and the Dockerfile use. */
function appEnv(extra) {
  return appNodeEnv({
    NODE_ENV: 'development',
    DATABASE_URL: BENCH.database,
    REDIS_URL: BENCH.redis,
    QUEUE_PREFIX: BENCH.queuePrefix,
    ADMIN_API_KEY: BENCH.adminKey,
    // The per-key limit (default 1,000/s) would cap the throughput rows. Raised, not turned off: the limiter still
    // draws each key's tokens from Redis, in batches, as in production.
    RATE_LIMIT_PER_SECOND: '1000000',
    ...extra,
    ...appEnvOverrides(),
  });
}

async function startSandbox(gatewayUrl) {
  const [flexiqashPort, flashpayPort] = [await freePort(), await freePort()];
  const handle = startProcess('sandbox', path.join(ROOT, 'dist/apps/sandbox/main.js'), {
    SANDBOX_HOST: HOST,
    SANDBOX_FLEXIQASH_PORT: String(flexiqashPort),
    SANDBOX_FLASHPAY_PORT: String(flashpayPort),
    SANDBOX_FLEXIQASH_WEBHOOK_URL: `${gatewayUrl}/webhooks/flexiqash`,
  });
  handle.flexiqashUrl = `http://${HOST}:${flexiqashPort}`;
  handle.flashpayUrl = `http://${HOST}:${flashpayPort}`;
  await waitForHttp(handle, `${handle.flexiqashUrl}/__sandbox/faults`);
  await waitForHttp(handle, `${handle.flashpayUrl}/__sandbox/faults`);
  return handle;
}

async function startGateway(port, sandbox, execArgv = []) {
  const url = `http://${HOST}:${port}`;
  const handle = startProcess(
    'gateway',
    path.join(ROOT, 'dist/apps/gateway/main.js'),
    appEnv({ PORT: String(port), HOST, PUBLIC_BASE_URL: url, FLEXIQASH_BASE_URL: sandbox.flexiqashUrl, FLASHPAY_BASE_URL: sandbox.flashpayUrl }),
    execArgv,
  );
  handle.url = url;
  await waitForHttp(handle, `${url}/health/ready`);
  return handle;
}

async function startWorker(sandbox, execArgv = []) {
  const handle = startProcess(
    'worker',
    path.join(ROOT, 'dist/apps/worker/main.js'),
    appEnv({ FLEXIQASH_BASE_URL: sandbox.flexiqashUrl, FLASHPAY_BASE_URL: sandbox.flashpayUrl }),
    execArgv,
  );
  await until('the worker\'s "worker started" line', async () => {
    if (!handle.alive()) throw new Error(`worker exited early; its log: ${handle.logFile}\n${tail(handle.log())}`);
    return handle.log().includes('worker started');
  });
  return handle;
}

async function startBareServer() {
  const port = await freePort();
  const handle = startProcess('bare-http', path.join(__dirname, 'bare-server.js'), { BARE_PORT: String(port) });
  handle.url = `http://${HOST}:${port}`;
  await waitForHttp(handle, handle.url);
  return handle;
}

/**
 * The peer baseline (bench/peer/server.js): the same database, Redis, queue prefix, rate limit and sandbox as the
 * gateway, and the same Node options.
 */
async function startPeer(sandbox) {
  const port = await freePort();
  const handle = startProcess(
    'peer',
    path.join(__dirname, '../peer/server.js'),
    appNodeEnv({
      PORT: String(port),
      HOST,
      DATABASE_URL: BENCH.database,
      REDIS_URL: BENCH.redis,
      QUEUE_PREFIX: BENCH.queuePrefix,
      RATE_LIMIT_PER_SECOND: appEnv({}).RATE_LIMIT_PER_SECOND,
      FLEXIQASH_BASE_URL: sandbox.flexiqashUrl,
      NODE_OPTIONS: appEnv({}).NODE_OPTIONS,
    }),
  );
  handle.url = `http://${HOST}:${port}`;
  await waitForHttp(handle, `${handle.url}/health`);
  return handle;
}

function onCleanup(fn) {
  cleanups.push(fn);
}

let stopping = null;
/** Stops every process started here (SIGTERM, then SIGKILL) and runs the registered cleanups. Idempotent. */
function stopAll() {
  stopping ??= (async () => {
    await Promise.all([...children].map((handle) => handle.stop()));
    for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch((error) => process.stderr.write(`cleanup: ${error.message}\n`));
  })();
  return stopping;
}

/** Last resort when the bench process exits without stopAll() having finished. */
process.on('exit', () => {
  for (const handle of children) if (handle.alive()) handle.child.kill('SIGKILL');
});

module.exports = {
  ROOT,
  appEnv,
  appEnvOverrides,
  HOST,
  BENCH,
  logDir,
  sleep,
  until,
  freePort,
  recreateDatabase,
  dropDatabase,
  clearRedisPrefix,
  startSandbox,
  startGateway,
  startWorker,
  startBareServer,
  startPeer,
  onCleanup,
  stopAll,
};
