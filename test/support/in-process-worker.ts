import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig, loadConfig } from '@app/common';
import { PROVIDER_CONFIGS } from '@app/providers';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { testDatabaseUrl, testRedisUrl } from './env';

export interface InProcessWorker {
  app: INestApplicationContext;
  config: AppConfig;
  get<T>(token: unknown): T;
  close(): Promise<void>;
}

/**
 * The worker's real module graph in this process (queue worker, sweep, reconciliation, retention) on this run's
 * Postgres and Redis. Give it the QUEUE_PREFIX of the gateway it pairs with.
 */
export async function startInProcessWorker(env: Record<string, string>): Promise<InProcessWorker> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: testDatabaseUrl(),
    REDIS_URL: testRedisUrl(),
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    // Reconciliation is not under test here; keep it from calling providers for other files' payments.
    RECONCILE_INTERVAL_MS: '3600000',
    OUTBOX_SWEEP_INTERVAL_MS: '200',
    OUTBOX_SWEEP_GRACE_MS: '500',
    RETENTION_INTERVAL: '1d',
    ...env,
  }, PROVIDER_CONFIGS);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: process.env.TEST_LOG_LEVEL ? undefined : false });
  await app.init();
  return {
    app,
    config,
    get<T>(token: unknown): T {
      return app.get(token as never) as T;
    },
    async close() {
      await app.close();
    },
  };
}
