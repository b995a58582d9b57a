import { ChildProcess, spawn } from 'node:child_process';
import { createServer, Server } from 'node:net';
import path from 'node:path';
import { testDatabaseUrl, testRedisUrl, testQueuePrefix } from './support/env';
import { freePort } from './support/processes';

const ROOT = path.resolve(__dirname, '..');

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** `npm start` as a developer runs it (scripts/start.js), on ports, database and queue prefix of this test's own. */
function start(env: Record<string, string>): Run {
  const { ADMIN_API_KEY: _unset, ...inherited } = process.env;
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/start.js')], {
    env: { ...inherited, DATABASE_URL: testDatabaseUrl(), REDIS_URL: testRedisUrl(), QUEUE_PREFIX: testQueuePrefix('start'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function ports() {
  return { PORT: String(await freePort()), SANDBOX_FLEXIQASH_PORT: String(await freePort()), SANDBOX_FLASHPAY_PORT: String(await freePort()) };
}

describe('npm start', () => {
  describe('with a port already taken', () => {
    let blocker: Server;
    afterEach(() => blocker?.close());

    it.each(['PORT', 'SANDBOX_FLEXIQASH_PORT', 'SANDBOX_FLASHPAY_PORT'])('%s: stops with one line naming it, before making an admin key', async (variable) => {
      const env = await ports();
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(Number(env[variable as keyof typeof env]), '127.0.0.1', resolve));
      const run = start(env);
      expect(await run.exited).toBe(1);
      const lines = run.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`127.0.0.1:${env[variable as keyof typeof env]}`);
      expect(lines[0]).toContain(`set ${variable} to a free port`);
      expect(run.output()).not.toMatch(/adm_|building|listening/);
    });
  });

  it('prints the banner last, once every app is up and the gateway answers ready', async () => {
    const env = await ports();
    const run = start(env);
    try {
      const deadline = Date.now() + 150_000;
      while (!/admin key {4}adm_/.test(run.output()) && Date.now() < deadline && run.child.exitCode === null) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const output = run.output();
      expect(output).toMatch(/admin key {4}adm_[A-Za-z0-9_-]{32}/);
      const banner = output.indexOf('  gateway      http://');
      for (const line of ['gateway listening on', 'worker started', 'Flashpay sandbox listening on']) {
        expect(output.indexOf(line)).toBeGreaterThan(-1);
        expect(output.indexOf(line)).toBeLessThan(banner);
      }
      expect(output.match(/admin key {4}adm_/g)).toHaveLength(1);
      const ready = await fetch(`http://127.0.0.1:${env.PORT}/health/ready`);
      expect(ready.status).toBe(200);
      // The gateway talks to the sandboxes this run started, on the ports it was given.
      const key = /admin key {4}(adm_[A-Za-z0-9_-]+)/.exec(output)![1];
      const created = await fetch(`http://127.0.0.1:${env.PORT}/v1/payments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 100, currency: 'USD', description: 'npm start' }),
      });
      expect(created.status).toBe(201);
      expect(((await created.json()) as { checkoutUrl: string }).checkoutUrl).toContain(`127.0.0.1:${env.SANDBOX_FLEXIQASH_PORT}/`);
    } finally {
      run.child.kill('SIGINT');
      const timer = setTimeout(() => process.kill(-run.child.pid!, 'SIGKILL'), 20_000);
      await run.exited;
      clearTimeout(timer);
    }
  }, 180_000);
});
