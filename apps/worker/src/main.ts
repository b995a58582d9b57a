import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '@app/common';
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
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: ['log', 'warn', 'error'] });
  app.enableShutdownHooks();
  // Until the queue processors land, nothing else holds the event loop open: this keeps the process up until a
  // signal closes the application (enableShutdownHooks), which clears the timer.
  const keepAlive = setInterval(() => undefined, 60_000);
  const stop = () => clearInterval(keepAlive);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  new Logger('Worker').log('worker started');
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed to start: ${(error as Error)?.message ?? String(error)}\n`);
  process.exit(1);
});
