import { DEFAULT_SANDBOX_OPTIONS, type SandboxOptions } from './options';

type Env = Record<string, string | undefined>;

export class SandboxEnvError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    // Names the variable and the rule, never the value: tokens and secrets come through here.
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'SandboxEnvError';
  }
}

/** An empty variable counts as unset, as in the gateway's configuration. */
function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > max) throw new SandboxEnvError(name, `must be a whole number from 0 to ${max}`);
  return Number(value);
}

function token(env: Env, names: string[], fallback: string): string {
  for (const name of names) {
    const value = raw(env, name);
    if (value === undefined) continue;
    if (/\s/.test(value)) throw new SandboxEnvError(name, 'must not contain spaces');
    return value;
  }
  return fallback;
}

function httpUrl(env: Env, name: string): string | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  let protocol: string;
  try {
    protocol = new URL(value).protocol;
  } catch {
    throw new SandboxEnvError(name, 'must be a URL');
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new SandboxEnvError(name, 'must be an http or https URL');
  return value.replace(/\/+$/, '');
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new SandboxEnvError(name, 'must be true or false');
}

function webhookUrl(env: Env): string {
  const explicit = httpUrl(env, 'SANDBOX_FLEXIQASH_WEBHOOK_URL');
  if (explicit !== undefined) return explicit;
  const gateway = httpUrl(env, 'PUBLIC_BASE_URL') ?? 'http://127.0.0.1:3000';
  return `${gateway}/webhooks/flexiqash`;
}

function basePath(env: Env): string {
  const value = raw(env, 'FLASHPAY_BASE_PATH') ?? DEFAULT_SANDBOX_OPTIONS.flashpayBasePath;
  const trimmed = value.replace(/\/+$/, '');
  if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(trimmed)) throw new SandboxEnvError('FLASHPAY_BASE_PATH', 'must be a path like /api/v1');
  return trimmed;
}

function currency(env: Env): string {
  for (const name of ['SANDBOX_FLEXIQASH_CURRENCY', 'FLEXIQASH_CURRENCY']) {
    const value = raw(env, name);
    if (value === undefined) continue;
    if (!/^[A-Z]{3}$/.test(value)) throw new SandboxEnvError(name, 'must be an upper-case ISO 4217 code');
    return value;
  }
  return DEFAULT_SANDBOX_OPTIONS.flexiqashCurrency;
}

function host(env: Env): string {
  const value = raw(env, 'SANDBOX_HOST') ?? DEFAULT_SANDBOX_OPTIONS.host;
  if (!/^[A-Za-z0-9.:-]+$/.test(value)) throw new SandboxEnvError('SANDBOX_HOST', 'must be a host name or IP address');
  return value;
}

/** The sandboxes' options from the environment; throws SandboxEnvError naming the first bad variable. */
export function readSandboxEnv(env: Env = process.env): SandboxOptions {
  const defaults = DEFAULT_SANDBOX_OPTIONS;
  return {
    host: host(env),
    flexiqashPort: integer(env, 'SANDBOX_FLEXIQASH_PORT', defaults.flexiqashPort, 65535),
    flashpayPort: integer(env, 'SANDBOX_FLASHPAY_PORT', defaults.flashpayPort, 65535),
    // Falling back to the gateway's own credentials makes the sandboxes accept whatever the gateway sends.
    flexiqashApiToken: token(env, ['SANDBOX_FLEXIQASH_API_TOKEN', 'FLEXIQASH_API_TOKEN'], defaults.flexiqashApiToken),
    flashpayApiToken: token(env, ['SANDBOX_FLASHPAY_API_TOKEN', 'FLASHPAY_API_TOKEN'], defaults.flashpayApiToken),
    flexiqashWebhookUrl: webhookUrl(env),
    flexiqashWebhookSecret: token(env, ['SANDBOX_FLEXIQASH_WEBHOOK_SECRET', 'FLEXIQASH_WEBHOOK_SECRET'], defaults.flexiqashWebhookSecret),
    flexiqashCurrency: currency(env),
    webhookRetryDelayMs: integer(env, 'SANDBOX_WEBHOOK_RETRY_DELAY_MS', defaults.webhookRetryDelayMs, 3_600_000),
    flashpayBasePath: basePath(env),
    payoutSettleMs: integer(env, 'SANDBOX_PAYOUT_SETTLE_MS', defaults.payoutSettleMs, 3_600_000),
    latencyMs: integer(env, 'SANDBOX_LATENCY_MS', defaults.latencyMs, 600_000),
    logger: bool(env, 'SANDBOX_LOGGER', defaults.logger),
  };
}
