// Helpers shared by the npm scripts (plain Node, so they run before anything is built).
const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const APPS = ['gateway', 'worker', 'sandbox'];

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Node options for gateway and worker unless NODE_OPTIONS is set. V8's default lets old space grow to ~200 MB
 * between full collections although the live heap stays near 50 MB; capping it keeps RSS under 200 MB under
 * load (BENCHMARKS.md). Node 24 also sizes the young generation far larger than Node 20 did (semi-spaces of up to
 * 64 MB); beside a 128 MB old space that made the gateway collect garbage almost continuously under load (a create
 * cost 24 ms of CPU instead of 3.5). With 8 MB semi-spaces the gateway's peak RSS under create load was 180 MB
 * (16 MB, Node 20's size: 192-218 MB) for the same CPU within noise. The Dockerfile sets the same.
 */
const APP_NODE_OPTIONS = '--max-old-space-size=128 --max-semi-space-size=8';

/**
 * glibc's malloc gives each thread that allocates its own arena (up to 8 per core); V8's helper threads and libuv's
 * pool each got one, and what the arenas held after a load varied from 20 to 36 MB between identical runs. Two
 * arenas kept malloc's share near 27 MB and the gateway's peak RSS 15-20 MB lower, for the same throughput
 * (BENCHMARKS.md). The Dockerfile sets the same; other C libraries ignore the variable.
 */
const APP_MALLOC_ARENA_MAX = '2';

/** `env` with NODE_OPTIONS and MALLOC_ARENA_MAX defaulted to the values above. */
function appNodeEnv(env) {
  return { ...env, NODE_OPTIONS: env.NODE_OPTIONS || APP_NODE_OPTIONS, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX || APP_MALLOC_ARENA_MAX };
}

const STAMP = path.join(ROOT, 'dist/.build-stamp');

/**
 * Builds when a bundle is missing or a source file changed since the last build. A stamp file marks the build
 * time, because webpack leaves a bundle's mtime alone when its content did not change.
 */
function buildIfNeeded() {
  const outputs = APPS.map((app) => path.join(ROOT, 'dist/apps', app, 'main.js'));
  const missing = outputs.some((file) => !fs.existsSync(file)) || !fs.existsSync(STAMP);
  const built = missing ? 0 : fs.statSync(STAMP).mtimeMs;
  const newestSource = Math.max(newestMtime(path.join(ROOT, 'apps')), newestMtime(path.join(ROOT, 'libs')));
  if (!missing && built >= newestSource) return;
  process.stdout.write('building the three apps (npm run build)…\n');
  const startedAt = new Date();
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts/bundle.js')], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write('build failed\n');
    process.exit(result.status ?? 1);
  }
  fs.writeFileSync(STAMP, '');
  fs.utimesSync(STAMP, startedAt, startedAt);
}

/** Resolves true when something accepts TCP connections at host:port within the timeout. */
function canConnect(host, port, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Checks Postgres and Redis from their URLs; prints one line per unreachable service and returns false. */
async function checkServices(databaseUrl, redisUrl) {
  let ok = true;
  for (const [name, raw, port] of [['Postgres', databaseUrl, 5432], ['Redis', redisUrl, 6379]]) {
    let url;
    try {
      url = new URL(raw);
    } catch {
      process.stderr.write(`${name}: its URL is not valid\n`);
      ok = false;
      continue;
    }
    const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    const target = `${host}:${url.port || port}`;
    if (!(await canConnect(host, Number(url.port || port)))) {
      process.stderr.write(`${name} is not reachable at ${target}: start it with "docker compose up -d postgres redis" (or your local ${name} service)\n`);
      ok = false;
    }
  }
  return ok;
}

module.exports = { ROOT, APPS, APP_NODE_OPTIONS, appNodeEnv, buildIfNeeded, checkServices };
