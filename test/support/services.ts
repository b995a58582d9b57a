import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { queuePrefix } from '../../libs/outbox/src/queue';
import { freePort } from './processes';

// Private Postgres and Redis instances for the tests that take a service away (outage, restart, lost data). The
// machine's own Postgres and Redis are shared with everyone else's runs: nothing here stops, restarts, flushes or
// reconfigures them. Each private instance lives in a temporary folder on a free port and is deleted afterwards,
// also when the test fails or the test process exits early.

const ROOT = path.resolve(__dirname, '../..');

/** The newest Postgres server binaries installed (Debian/Ubuntu layout), or null. */
function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((version) => existsSync(path.join(base, version, 'bin/initdb')) && existsSync(path.join(base, version, 'bin/pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? path.join(base, versions[0], 'bin') : null;
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Postgres refuses to run as root: as root, its commands run as the `postgres` system user. */
function postgresUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** Why private instances cannot be started here, or null when they can. */
export const privateServicesUnavailable: string | null = (() => {
  if (!postgresBinDir()) return 'no Postgres server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin';
  if (!onPath('redis-server')) return 'no redis-server on PATH';
  if (process.getuid?.() === 0) {
    if (spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status !== 0) return 'running as root and there is no postgres user to run initdb as';
    if (!onPath('runuser')) return 'running as root and there is no runuser to run initdb as the postgres user';
  }
  return null;
})();

/**
 * `describe`, for tests that need private instances. Where they cannot be started the tests do not pass
 * silently: under CI the block fails with the reason; elsewhere the reason is printed and the block is skipped.
 */
export function describeWithPrivateServices(name: string, body: () => void): void {
  const reason = privateServicesUnavailable;
  if (reason === null) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it('needs private Postgres and Redis instances', () => {
        throw new Error(`cannot start private Postgres and Redis instances: ${reason}`);
      });
    });
  } else {
    process.stderr.write(`SKIPPED "${name}": cannot start private Postgres and Redis instances: ${reason} (under CI this fails)\n`);
    describe.skip(name, body);
  }
}

// Everything still running when the test process exits is stopped and deleted then.
const live = new Set<() => void>();
process.once('exit', () => {
  for (const cleanUp of live) cleanUp();
});

export interface PrivatePostgres {
  /** A database of its own on this instance, migrated. */
  url: string;
  port: number;
  /** Stops the server (fast shutdown); connections are cut. */
  stop(): void;
  /** Starts it again on the same port, with its data. */
  start(): void;
  /** Stops it and deletes its folder. */
  destroy(): void;
}

/** initdb into a temporary folder, pg_ctl start on a free port, then the built gateway's `migrate`. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('no Postgres server binaries under /usr/lib/postgresql/*/bin');
  const user = postgresUser();
  const dir = mkdtempSync(path.join(tmpdir(), 'paygw-test-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  const port = await freePort();
  const run = (command: string, args: string[]) => {
    const [file, argv] = user ? ['runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args]] : [path.join(bin, command), args];
    const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.stdout || result.error}`);
  };
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  let running = false;
  const handle: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/payments`,
    port,
    stop() {
      if (!running) return;
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      running = false;
    },
    start() {
      run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', options, '-w', 'start']);
      running = true;
    },
    destroy() {
      live.delete(handle.destroy);
      if (running) spawnSync(user ? 'runuser' : path.join(bin, 'pg_ctl'), [...(user ? ['-u', 'postgres', '--', path.join(bin, 'pg_ctl')] : []), '-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore', timeout: 30_000 });
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  live.add(handle.destroy);
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    handle.start();
    const admin = new Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await admin.connect();
    try {
      await admin.query('CREATE DATABASE payments');
    } finally {
      await admin.end();
    }
    const migrated = spawnSync(process.execPath, [path.join(ROOT, 'dist/apps/gateway/main.js'), 'migrate'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: handle.url, NODE_ENV: 'test' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (migrated.status !== 0) throw new Error(`migrations failed on the private Postgres: ${migrated.stderr || migrated.stdout}`);
  } catch (error) {
    handle.destroy();
    throw error;
  }
  return handle;
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL, no save): its data is gone. */
  kill(): Promise<void>;
  /** Starts a new, empty server on the same port. */
  start(): Promise<void>;
  /** Kills it and deletes its folder. */
  destroy(): Promise<void>;
}

/** redis-server on a free port, nothing persisted, its working folder a temporary one. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'paygw-test-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const killNow = () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const cleanUp = () => {
    killNow();
    rmSync(dir, { recursive: true, force: true });
  };
  const handle: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async kill() {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      try {
        const answers = await until(() => probe.connect().then(() => probe.ping()).then((pong) => pong === 'PONG', () => false), 10_000, 50);
        if (!answers) throw new Error(`the private redis-server on port ${port} did not answer`);
      } finally {
        probe.disconnect();
      }
    },
    async destroy() {
      live.delete(cleanUp);
      await handle.kill();
      cleanUp();
    },
  };
  live.add(cleanUp);
  try {
    await handle.start();
  } catch (error) {
    await handle.destroy();
    throw error;
  }
  return handle;
}

/**
 * Deletes the queue keys of one QUEUE_PREFIX from `redisUrl` (BullMQ's keys are `{<prefix>}:<queue>:…`): the test's
 * own data, nobody else's. One script, so it happens at once as a real loss would (deleting key by key while a
 * worker runs would leave half a queue, which no real outage does). Resolves with how many keys went.
 */
export async function deleteKeysWithPrefix(redisUrl: string, queuePrefixName: string): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    const deleted = await redis.eval(
      `local cursor, n = '0', 0
       repeat
         local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
         cursor = page[1]
         for _, key in ipairs(page[2]) do n = n + redis.call('UNLINK', key) end
       until cursor == '0'
       return n`,
      0,
      `${queuePrefix(queuePrefixName)}:*`,
    );
    return Number(deleted);
  } finally {
    redis.disconnect();
  }
}

export async function until(check: () => Promise<boolean>, timeoutMs = 20_000, stepMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return false;
}

/** Reads until `done(value)` holds or the time is up; returns the last value read. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, stepMs));
    value = await read();
  }
  return value;
}

/** As `eventually`, but a wait that runs out fails, naming `what` and the last value read. */
export async function waitUntil<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000, stepMs = 50): Promise<T> {
  const value = await eventually(read, done, timeoutMs, stepMs);
  if (!done(value)) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
  return value;
}
