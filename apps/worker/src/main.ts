import 'reflect-metadata';
import { PROVIDER_CONFIGS } from '@app/providers';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { exitGracefullyOnSignal, exitOnStartFailure, loadConfigOrExit, nestLogger, tuneRuntime } from '@app/common';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  tuneRuntime();
  const config = loadConfigOrExit(PROVIDER_CONFIGS);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: nestLogger('worker', config) });
  const logger = new Logger('Worker');
  logger.log('worker started');

  // On a signal the queue worker stops taking jobs and waits for the deliveries in progress to be sent and
  // recorded (each bounded by WEBHOOK_TIMEOUT_MS); the sweep and reconciliation finish their current step. A
  // delivery cut short by the deadline is sent again later, since only a recorded attempt counts. Until a signal,
  // the BullMQ worker's connection is what keeps the process alive.
  exitGracefullyOnSignal('worker', () => app.close(), config.webhooks.timeoutMs + 15_000, (line) => logger.log(line));
}

main().catch(exitOnStartFailure('worker'));
