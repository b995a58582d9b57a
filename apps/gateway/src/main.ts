import 'reflect-metadata';
import { ConfigError, loadConfig } from '@app/common';
import { ensureDatabase, runMigrations } from '@app/persistence';
import { createGatewayApp } from './gateway.app';

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

  // `node dist/apps/gateway/main.js migrate` (npm run migrate): create the database if needed, apply migrations, exit.
  if (process.argv[2] === 'migrate') {
    const created = await ensureDatabase(config.databaseUrl);
    const applied = await runMigrations(config.databaseUrl);
    process.stdout.write(`${created ? 'created the database; ' : ''}${applied.length ? `applied ${applied.join(', ')}` : 'no pending migrations'}\n`);
    return;
  }

  const app = await createGatewayApp(config);
  let closing = false;
  // Once closing, every answer ends its connection: a keep-alive client would otherwise hold the server open
  // until its idle timeout, long after the last request finished.
  app.getHttpAdapter().getInstance().addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  await app.listen(config.port, '0.0.0.0');
  process.stdout.write(`gateway listening on http://127.0.0.1:${config.port}\n`);

  // SIGTERM/SIGINT: stop accepting, let requests in flight finish (each is bounded by PROVIDER_TIMEOUT_MS),
  // then close connections and exit 0. A second signal, or the deadline, exits at once.
  const shutdown = (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    process.stdout.write(`gateway: ${signal} received, finishing requests in flight\n`);
    const deadline = setTimeout(() => {
      process.stderr.write('gateway: shutdown deadline passed, exiting\n');
      process.exit(1);
    }, config.providerTimeoutMs + 15_000);
    deadline.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`gateway: shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${(error as Error)?.message ?? String(error)}\n`);
  process.exit(1);
});
