import 'reflect-metadata';
import { PROVIDER_CONFIGS } from '@app/providers';
import { exitGracefullyOnSignal, exitOnStartFailure, loadConfigOrExit, tuneRuntime } from '@app/common';
import { ensureDatabase, runMigrations } from '@app/persistence';
import { createGatewayApp } from './gateway.app';

async function main(): Promise<void> {
  tuneRuntime();
  const config = loadConfigOrExit(PROVIDER_CONFIGS);

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
  await app.listen(config.port, config.host);
  process.stdout.write(`gateway listening on ${config.host}:${config.port}\n`);

  // On a signal: stop accepting, let requests in flight finish (each is bounded by PROVIDER_TIMEOUT_MS), then close.
  exitGracefullyOnSignal(
    'gateway',
    () => {
      closing = true;
      return app.close();
    },
    config.providerTimeoutMs + 15_000,
    (line) => process.stdout.write(`gateway: ${line}\n`),
  );
}

main().catch(exitOnStartFailure('gateway'));
