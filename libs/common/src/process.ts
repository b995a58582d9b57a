import { setFlagsFromString } from 'node:v8';
import { AppConfig, ConfigError, loadConfig, ProviderConfigSchema } from './config';

/**
 * V8 settings for gateway and worker, set first thing in their main() because NODE_OPTIONS cannot carry them.
 *
 * Allocation-site pretenuring off. V8 watches the objects each literal in the code creates; when nearly all of
 * one literal's objects are still alive at a young-generation collection, it allocates that literal's objects in
 * the old generation from then on. Under load one hot literal sometimes crossed the line (ratio 1.0 at one
 * collection), and the process kept the decision: its objects, short-lived in fact, then filled the old
 * generation, which took a full collection every half second instead of every few seconds. Four gateways out of
 * nine started the same way ran like that for their whole life, at about 0.38 ms of CPU per create instead of about
 * 0.30; with the setting, none of eleven did (BENCHMARKS.md).
 */
export function tuneRuntime(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}

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
