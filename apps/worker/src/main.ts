import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig, nestLogger } from '@app/common';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: nestLogger('worker', config) });
  const logger = new Logger('Worker');
  logger.log('worker started');

  // SIGTERM/SIGINT: the queue worker stops taking jobs and waits for the deliveries in progress to be sent and
  // recorded (each bounded by WEBHOOK_TIMEOUT_MS), the sweep and reconciliation finish their current step, then
  // the connections close and the process exits 0. A second signal, or the deadline, exits at once: a delivery
  // cut short is sent again later, since only a recorded attempt counts. Until a signal, the BullMQ worker's
  // connection is what keeps the process alive.
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    logger.log(`${signal} received, finishing deliveries in flight`);
    const deadline = setTimeout(() => {
      process.stderr.write('worker: shutdown deadline passed, exiting\n');
      process.exit(1);
    }, config.webhooks.timeoutMs + 15_000);
    deadline.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`worker: shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed to start: ${(error as Error)?.message ?? String(error)}\n`);
  process.exit(1);
});
