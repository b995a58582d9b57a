import { readSandboxEnv, SandboxEnvError } from './env';
import { startSandboxes } from './sandbox';

/** A close that hangs (e.g. on an injected latency) must not keep Ctrl-C from working. */
const CLOSE_GRACE_MS = 5000;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

async function main(): Promise<void> {
  let options;
  try {
    options = readSandboxEnv(process.env);
  } catch (error) {
    if (error instanceof SandboxEnvError) fail(error.message);
    throw error;
  }

  const sandboxes = await startSandboxes(options).catch((error: unknown) =>
    fail(`Sandbox could not start: ${error instanceof Error ? error.message : String(error)}`),
  );
  process.stdout.write(`FlexiQash sandbox listening on ${sandboxes.flexiqashUrl}\n`);
  process.stdout.write(`Flashpay sandbox listening on ${sandboxes.flashpayUrl} (API under ${options.flashpayBasePath || '/'})\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    setTimeout(() => process.exit(1), CLOSE_GRACE_MS).unref();
    sandboxes.close().then(
      () => process.exit(0),
      (error: unknown) => fail(`Sandbox did not close cleanly: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
