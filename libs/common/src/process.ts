import { AppConfig, ConfigError, loadConfig, ProviderConfigSchema } from './config';

/** The configuration, or one line naming the bad variable on stderr and exit 1 (never its value). */
export function loadConfigOrExit(providers: readonly ProviderConfigSchema[]): AppConfig {
  try {
    return loadConfig(process.env, providers);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * SIGTERM/SIGINT: calls `close` (which lets the work in flight finish) and exits 0 when it resolves. A second
 * signal, a failed close, or the deadline exits 1 at once.
 */
export function exitGracefullyOnSignal(name: string, close: () => Promise<void>, deadlineMs: number, announce: (line: string) => void): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    announce(`${signal} received, finishing the work in flight`);
    const deadline = setTimeout(() => {
      process.stderr.write(`${name}: shutdown deadline passed, exiting\n`);
      process.exit(1);
    }, deadlineMs);
    deadline.unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${name}: shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** The last word of a process that could not start. */
export function exitOnStartFailure(name: string): (error: unknown) => never {
  return (error) => {
    process.stderr.write(`${name} failed to start: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  };
}
