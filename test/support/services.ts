import { execSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

/**
 * Stops and starts the machine's own Postgres and Redis, for the recovery tests. They use the same commands the
 * CI script uses to start them, so they only run where those exist (this project's machines and CI).
 */
export const canControlServices = (() => {
  try {
    execSync('command -v pg_ctlcluster && command -v redis-server && command -v redis-cli', { stdio: 'ignore' });
    return readdirSync('/etc/postgresql').length > 0;
  } catch {
    return false;
  }
})();

const pgVersion = () => readdirSync('/etc/postgresql')[0];

export function postgres(action: 'stop' | 'start' | 'restart'): void {
  execSync(`pg_ctlcluster --skip-systemctl-redirect ${pgVersion()} main ${action}`, { stdio: 'ignore', timeout: 60_000 });
}

export function stopRedis(): void {
  execSync('redis-cli -h 127.0.0.1 -p 6379 shutdown nosave', { stdio: 'ignore', timeout: 20_000 });
}

export function startRedis(): void {
  execSync(
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
    { stdio: 'ignore', timeout: 20_000 },
  );
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
