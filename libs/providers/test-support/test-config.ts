import * as net from 'node:net';
import { AppConfig, loadConfig, ProviderConfigSchema } from '@app/common';
import { PROVIDER_CONFIGS } from '../src/provider-modules';

export const FLEXIQASH_TEST_TOKEN = 'fq-test-token-5f0c1b2e9d';
export const FLASHPAY_TEST_TOKEN = 'fp-test-token-8a7d3c4b1e';

/** A real AppConfig (through loadConfig) pointing both providers at fakes. */
export function testConfig(env: Record<string, string> = {}, extra: readonly ProviderConfigSchema[] = []): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    PUBLIC_BASE_URL: 'https://gateway.example.test',
    FLEXIQASH_API_TOKEN: FLEXIQASH_TEST_TOKEN,
    FLASHPAY_API_TOKEN: FLASHPAY_TEST_TOKEN,
    FLASHPAY_CURRENCIES: 'NGN,GHS',
    PROVIDER_TIMEOUT_MS: '2000',
    ...env,
  }, [...PROVIDER_CONFIGS, ...extra]);
}

/** A port nothing listens on: bind, read the port, close. */
export async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Runs `fn` and returns what it threw (fails when it does not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}
