import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

// Ports a test hands to a process it starts (the gateway, `npm start`, a private Postgres) are chosen here, then
// bound by that process a moment later. A port the kernel picks (listen on 0) comes from the ephemeral range
// (net.ipv4.ip_local_port_range, 32768-60999 by default), the same range every outgoing connection on the machine
// takes its local port from, so with many connections open (two test files at once) one of them can take the port
// in that moment. These come from below that range instead, from a slice of its own for each Jest worker, taken in
// turn (so one process never hands out the same port twice in a row) from a random start (so two runs side by side
// rarely meet), each checked free by binding it.
const PORT_BASE = 20_000;
const PORT_SLICE = 1_500;
const PORT_SLICES = 8;
const slice = (Math.max(1, Number(process.env.JEST_WORKER_ID) || 1) - 1) % PORT_SLICES;
let nextPortOffset = Math.floor(Math.random() * PORT_SLICE);

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < PORT_SLICE; tries++) {
    const port = PORT_BASE + slice * PORT_SLICE + (nextPortOffset++ % PORT_SLICE);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${PORT_BASE + slice * PORT_SLICE}-${PORT_BASE + (slice + 1) * PORT_SLICE - 1}`);
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
