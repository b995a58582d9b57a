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
  await app.listen(config.port, '0.0.0.0');
  process.stdout.write(`gateway listening on http://127.0.0.1:${config.port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${(error as Error)?.message ?? String(error)}\n`);
  process.exit(1);
});
