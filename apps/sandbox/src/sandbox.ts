import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildFlashpaySandbox } from './flashpay.sandbox';
import { buildFlexiqashSandbox } from './flexiqash.sandbox';
import { DEFAULT_SANDBOX_OPTIONS, type SandboxOptions, withDefaults } from './options';

export { buildFlashpaySandbox, type FlashpaySandboxOptions } from './flashpay.sandbox';
export { buildFlexiqashSandbox, type FlexiqashSandboxOptions } from './flexiqash.sandbox';
export { DEFAULT_SANDBOX_OPTIONS, type SandboxOptions } from './options';

export interface RunningSandboxes {
  /** Origins, e.g. `http://127.0.0.1:4010`; Flashpay's API lives under `flashpayBasePath` below its origin. */
  flexiqashUrl: string;
  flashpayUrl: string;
  close(): Promise<void>;
}

/** A wildcard listen address is not somewhere a client can connect to; loopback is. */
function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ host, port });
  const { port: actualPort } = app.server.address() as AddressInfo;
  return `http://${connectableHost(host)}:${actualPort}`;
}

/** Starts both provider simulators; with port 0 each gets a free port (see the returned URLs). */
export async function startSandboxes(options: Partial<SandboxOptions> = {}): Promise<RunningSandboxes> {
  const settings = withDefaults(DEFAULT_SANDBOX_OPTIONS, options);
  const flexiqash = buildFlexiqashSandbox({
    apiToken: settings.flexiqashApiToken,
    webhookUrl: settings.flexiqashWebhookUrl,
    webhookSecret: settings.flexiqashWebhookSecret,
    currency: settings.flexiqashCurrency,
    webhookRetryDelayMs: settings.webhookRetryDelayMs,
    latencyMs: settings.latencyMs,
    logger: settings.logger,
  });
  const flashpay = buildFlashpaySandbox({
    apiToken: settings.flashpayApiToken,
    basePath: settings.flashpayBasePath,
    webhookRetryDelayMs: settings.webhookRetryDelayMs,
    payoutSettleMs: settings.payoutSettleMs,
    latencyMs: settings.latencyMs,
    logger: settings.logger,
  });
  const close = async (): Promise<void> => {
    await Promise.all([flexiqash.close(), flashpay.close()]);
  };
  try {
    const [flexiqashUrl, flashpayUrl] = await Promise.all([
      listen(flexiqash, settings.host, settings.flexiqashPort),
      listen(flashpay, settings.host, settings.flashpayPort),
    ]);
    return { flexiqashUrl, flashpayUrl, close };
  } catch (error) {
    // One port taken must not leave the other sandbox listening.
    await close().catch(() => undefined);
    throw error;
  }
}
