import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface AppProcess {
  child: ChildProcess;
  /** Everything the process printed so far (for failure messages). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a built app (`dist/apps/<app>/main.js`) as its own process, the way it runs in production, and waits
 * until `ready(output so far)` resolves true.
 */
export async function startApp(
  app: 'gateway' | 'worker',
  env: Record<string, string>,
  ready: (output: string) => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<AppProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps', app, 'main.js')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  // TEST_APP_OUTPUT=<file>: every app's log lines also go to that file, to read a failing test's server side.
  const copyTo = process.env.TEST_APP_OUTPUT;
  if (copyTo) child.stdout!.on('data', (chunk) => appendFileSync(copyTo, chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handle: AppProcess = {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}:\n${output}`);
    if (await ready(output).catch(() => false)) return handle;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await handle.stop('SIGKILL');
  throw new Error(`${app} did not become ready within ${timeoutMs} ms:\n${output}`);
}

/** Starts the built worker and waits for its "worker started" line (logged once its queue worker is connected). */
export function startWorker(env: Record<string, string>, timeoutMs?: number): Promise<AppProcess> {
  return startApp('worker', env, async (output) => output.includes('worker started'), timeoutMs);
}
