import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { developmentKeyring, parseSecretsKey, SecretsKeyring } from './secret-box';

/** The gateway's whole configuration, read once from the environment (see README, Configuration). */
export interface AppConfig {
  nodeEnv: 'development' | 'test' | 'production';
  port: number;
  /** Address the gateway listens on: all interfaces by default (containers), 127.0.0.1 to stay on loopback. */
  host: string;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  /** The least level a log line needs to be written (LOG_LEVEL, default info). */
  logLevel: LogLevel;
  adminApiKey: string;
  /** True when ADMIN_API_KEY was not set and one was generated for this dev run. */
  adminApiKeyGenerated: boolean;
  publicBaseUrl: string;
  payments: {
    defaultProvider: string;
    currencyRoutes: Record<string, string>;
    failover: Partial<Record<string, string>>;
    /** A create with an unknown outcome that the provider still does not show after this long is failed. */
    unknownOutcomeFailAfterMs: number;
  };
  /**
   * Each registered provider's own settings, parsed by its configuration schema (libs/providers/src/<name>/);
   * the core reads only `currencies`, the provider reads the rest through its schema's type.
   */
  providers: Readonly<Record<string, ProviderSettings>>;
  /** From the provider schemas: credentials masked in every log line, and request headers redacted from logged objects. */
  redact: { secrets: readonly string[]; headers: readonly string[] };
  providerTimeoutMs: number;
  /**
   * How long a running Idempotency-Key stays claimed without its instance renewing it (every third of this while
   * the request runs). A key whose instance died is taken over once this has passed.
   */
  idempotencyLeaseMs: number;
  /**
   * Notifications from providers that do not sign them (anyone could send one): per source address per second,
   * across instances (0 turns the limit off), and the least time between two provider reads they cause for one payment.
   */
  unauthenticatedWebhooks: { perSourcePerSecond: number; readIntervalMs: number };
  /** Inbound HTTP: the whole request (headers and body), the headers alone, and an idle keep-alive socket. */
  http: { requestTimeoutMs: number; headersTimeoutMs: number; keepAliveTimeoutMs: number };
  /** How long an instance may trust a cached API key without asking Postgres (bounds a missed revocation). */
  apiKeyCacheTtlMs: number;
  /** Requests per second allowed per API key, across all instances; 0 turns the limit off. */
  rateLimitPerSecond: number;
  /** Consecutive provider failures that open its circuit, and how long it stays open before a trial call. */
  providerCircuit: { failureThreshold: number; openMs: number };
  webhooks: {
    retryScheduleMs: number[];
    timeoutMs: number;
    allowPrivateUrls: boolean;
    /** After a secret rotation, deliveries carry the old secret's signature too for this long. */
    secretRotationGraceMs: number;
    /** Deliveries to one endpoint in flight at once, per worker process; further ones wait without holding a slot. */
    endpointConcurrency: number;
    /** Consecutive failed attempts that open an endpoint's circuit, and how long its deliveries then wait. */
    circuitThreshold: number;
    circuitOpenMs: number;
    /** An endpoint whose attempts have all failed for this long is disabled (endpoint.disabled is sent). */
    disableAfterMs: number;
  };
  /** Encrypts webhook endpoint secrets at rest (SECRETS_ENCRYPTION_KEY, _KEY_ID, _OLD_KEYS). */
  secrets: SecretsKeyring;
  /** How long rows are kept before the worker deletes them in batches. */
  retention: {
    eventsMs: number;
    attemptsMs: number;
    inboundMs: number;
    idempotencyMs: number;
    intervalMs: number;
    batchSize: number;
  };
  worker: {
    /**
     * How long a job's lock in Redis lasts without renewal: a worker that died has its jobs taken over by another
     * within about twice this.
     */
    lockMs: number;
    /** Parallel deliveries per worker process. */
    concurrency: number;
    /** How often the sweep re-enqueues deliveries Postgres holds as pending but Redis may have lost. */
    sweepIntervalMs: number;
    /** A pending delivery enqueued longer ago than this is re-added by the sweep (a no-op if its job exists). */
    sweepGraceMs: number;
    /** How often reconciliation re-reads pending payments and payouts from their providers. */
    reconcileIntervalMs: number;
    /** A pending payment is re-read once it is older than this and was not checked for this long. */
    reconcileAfterMs: number;
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/** What the core knows of any provider's settings; the rest is the provider's own. */
export interface ProviderSettings {
  /** Currencies this provider account takes (upper-case ISO 4217), checked against PAYMENTS_CURRENCY_ROUTES. */
  readonly currencies: readonly string[];
}

export type Env = Record<string, string | undefined>;

/** Handed to a provider's schema: whether production rules apply, and a default that exists only outside production. */
export interface ConfigContext {
  production: boolean;
  /** `value` outside production, undefined in production (so a required variable without a value fails there). */
  devDefault(value: string): string | undefined;
}

/**
 * A provider's configuration: the variables it reads, parsed and validated at boot with the same one-line errors
 * (ConfigError naming the variable, never its value), and the values that must never reach a log.
 */
export interface ProviderConfigSchema<S extends ProviderSettings = ProviderSettings> {
  readonly name: string;
  parse(env: Env, context: ConfigContext): S;
  /** Credentials to mask in every log line (API tokens, webhook secrets). */
  secrets(settings: S): string[];
  /** Request headers carrying a credential, lower-case (`x-<provider>-signature`), redacted from logged objects. */
  readonly secretHeaders?: readonly string[];
}

/** The settings of one provider, typed by its own schema. Throws when the provider was not configured. */
export function providerSettings<S extends ProviderSettings>(config: AppConfig, name: string): S {
  const settings = config.providers[name];
  if (!settings) throw new Error(`provider ${name} has no settings: its schema was not passed to loadConfig`);
  return settings as S;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    // The message names the variable and the rule, never the value: the value may be a secret.
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export function str(env: Env, name: string, fallback?: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    if (fallback === undefined) throw new ConfigError(name, 'is required');
    return fallback;
  }
  return value;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  return value;
}

/** An IPv4 or IPv6 address or a host name (what Node's listen accepts), without a port or scheme. */
function host(env: Env, name: string, fallback: string): string {
  const value = str(env, name, fallback).trim();
  const hostName = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
  if (isIP(value) === 0 && !hostName.test(value)) throw new ConfigError(name, 'must be an IP address (0.0.0.0, 127.0.0.1, ::) or a host name');
  return value;
}

export function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(name, 'must be true or false');
}

export function url(env: Env, name: string, fallback: string, protocols: string[]): string {
  const value = str(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `must be a ${protocols.join(' or ')} URL`);
  return value.replace(/\/+$/, '');
}

/** Parses `NGN=provider,USD=other`; throws naming the bad entry. */
export function parsePairs(text: string): Array<[string, string]> {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const parts = entry.split('=').map((part) => part.trim());
      if (parts.length !== 2 || !parts[0] || !parts[1]) throw new Error(`"${entry}" is not KEY=value`);
      return [parts[0], parts[1]] as [string, string];
    });
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `5s,5m,30m,2h` → [5000, 300000, 1800000, 7200000]. */
export function parseDurations(name: string, text: string): number[] {
  const parts = text.split(',').map((part) => part.trim()).filter(Boolean);
  if (parts.length === 0) throw new ConfigError(name, 'must list at least one delay');
  return parts.map((part) => {
    const match = /^(\d+)(ms|s|m|h|d)$/.exec(part);
    if (!match) throw new ConfigError(name, 'must be delays like 5s,5m,2h (units ms, s, m, h, d)');
    return Number(match[1]) * DURATION_UNITS[match[2]];
  });
}

function duration(env: Env, name: string, fallback: string, minMs: number, maxMs: number): number {
  const text = str(env, name, fallback);
  if (!/^\s*\d+(ms|s|m|h|d)\s*$/.test(text)) throw new ConfigError(name, 'must be one duration like 30s, 24h or 5d');
  const [ms] = parseDurations(name, text);
  if (ms < minMs || ms > maxMs) throw new ConfigError(name, `must be from ${minMs} ms to ${maxMs} ms`);
  return ms;
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;

/** SECRETS_ENCRYPTION_KEY (current), SECRETS_ENCRYPTION_KEY_ID, SECRETS_ENCRYPTION_OLD_KEYS (`id:key,id:key`). */
export function loadSecretsKeyring(env: Env, production: boolean): SecretsKeyring {
  const raw = env.SECRETS_ENCRYPTION_KEY;
  if (raw === undefined || raw === '') {
    if (production) throw new ConfigError('SECRETS_ENCRYPTION_KEY', 'is required when NODE_ENV=production (32 bytes, base64 or hex)');
    const dev = developmentKeyring();
    return { currentId: dev.currentId, keys: new Map([...dev.keys, ...oldKeys(env)]) };
  }
  const key = parseSecretsKey(raw);
  if (!key) throw new ConfigError('SECRETS_ENCRYPTION_KEY', 'must be 32 bytes as base64 (44 characters) or hex (64)');
  const currentId = str(env, 'SECRETS_ENCRYPTION_KEY_ID', 'k1');
  if (!KEY_ID.test(currentId)) throw new ConfigError('SECRETS_ENCRYPTION_KEY_ID', 'must be 1-32 letters, digits or _.-');
  const keys = new Map(oldKeys(env));
  keys.set(currentId, key);
  return { currentId, keys };
}

function oldKeys(env: Env): Array<[string, Buffer]> {
  const name = 'SECRETS_ENCRYPTION_OLD_KEYS';
  return (env[name] ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const colon = part.indexOf(':');
      const id = part.slice(0, colon);
      const key = colon > 0 ? parseSecretsKey(part.slice(colon + 1)) : null;
      if (!KEY_ID.test(id) || !key) throw new ConfigError(name, 'must be id:key pairs (key 32 bytes, base64 or hex) separated by commas');
      return [id, key] as [string, Buffer];
    });
}

/**
 * `providers`: the schema of every registered provider (PROVIDER_MODULES from @app/providers). Provider names in
 * PAYMENTS_* are checked against them, and each schema parses its own variables.
 */
export function loadConfig(env: Env = process.env, providers: readonly ProviderConfigSchema[] = []): AppConfig {
  const nodeEnvRaw = str(env, 'NODE_ENV', 'development');
  if (!['development', 'test', 'production'].includes(nodeEnvRaw)) {
    throw new ConfigError('NODE_ENV', 'must be development, test or production');
  }
  const nodeEnv = nodeEnvRaw as AppConfig['nodeEnv'];
  const production = nodeEnv === 'production';
  const context: ConfigContext = { production, devDefault: (value) => (production ? undefined : value) };

  const adminFromEnv = env.ADMIN_API_KEY;
  if (production && !adminFromEnv) throw new ConfigError('ADMIN_API_KEY', 'is required when NODE_ENV=production');
  if (adminFromEnv !== undefined && adminFromEnv !== '' && adminFromEnv.length < 16) {
    throw new ConfigError('ADMIN_API_KEY', 'must be at least 16 characters');
  }

  const providerSettings: Record<string, ProviderSettings> = {};
  for (const schema of providers) providerSettings[schema.name] = schema.parse(env, context);
  const known = Object.keys(providerSettings);
  const provider = (variable: string, value: string): string => {
    if (!Object.hasOwn(providerSettings, value)) {
      throw new ConfigError(variable, `names an unknown provider (known: ${known.join(', ') || 'none'})`);
    }
    return value;
  };

  const currencyRoutes: Record<string, string> = {};
  const failover: Partial<Record<string, string>> = {};
  try {
    for (const [code, name] of parsePairs(env.PAYMENTS_CURRENCY_ROUTES ?? '')) {
      currencyRoutes[code.toUpperCase()] = provider('PAYMENTS_CURRENCY_ROUTES', name);
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('PAYMENTS_CURRENCY_ROUTES', 'must be CURRENCY=provider pairs separated by commas');
  }
  try {
    for (const [from, to] of parsePairs(env.PAYMENTS_FAILOVER ?? '')) {
      const source = provider('PAYMENTS_FAILOVER', from);
      const target = provider('PAYMENTS_FAILOVER', to);
      if (source === target) throw new ConfigError('PAYMENTS_FAILOVER', 'cannot fail a provider over to itself');
      failover[source] = target;
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('PAYMENTS_FAILOVER', 'must be provider=provider pairs separated by commas');
  }

  const logLevel = str(env, 'LOG_LEVEL', 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  const queuePrefix = str(env, 'QUEUE_PREFIX', 'paygw');
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(queuePrefix)) throw new ConfigError('QUEUE_PREFIX', 'must be 1-64 letters, digits or _.:-');

  // A route's currency must be one its provider accepts; each provider's schema checked its own codes against ISO 4217.
  for (const [code, name] of Object.entries(currencyRoutes)) {
    if (!providerSettings[name].currencies.includes(code)) {
      throw new ConfigError('PAYMENTS_CURRENCY_ROUTES', `routes ${code} to ${name}, which does not accept ${code}`);
    }
  }

  const requestTimeoutMs = int(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000);
  const headersTimeoutMs = int(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  if (headersTimeoutMs > requestTimeoutMs) throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', 'must not be more than HTTP_REQUEST_TIMEOUT_MS');

  return {
    nodeEnv,
    port: int(env, 'PORT', 3000, 0, 65535),
    host: host(env, 'HOST', '0.0.0.0'),
    databaseUrl: url(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/payments', ['postgres:', 'postgresql:']),
    redisUrl: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    queuePrefix,
    logLevel: logLevel as LogLevel,
    adminApiKey: adminFromEnv || `adm_${randomBytes(24).toString('base64url')}`,
    adminApiKeyGenerated: !adminFromEnv,
    publicBaseUrl: url(env, 'PUBLIC_BASE_URL', 'http://127.0.0.1:3000', ['http:', 'https:']),
    payments: {
      // Without PAYMENTS_DEFAULT_PROVIDER, the first registered provider.
      defaultProvider: provider('PAYMENTS_DEFAULT_PROVIDER', str(env, 'PAYMENTS_DEFAULT_PROVIDER', known[0] ?? '')),
      currencyRoutes,
      failover,
      unknownOutcomeFailAfterMs: int(env, 'PAYMENTS_UNKNOWN_FAIL_AFTER_MS', 15 * 60_000, 0, 7 * 86_400_000),
    },
    providers: providerSettings,
    redact: {
      secrets: providers.flatMap((schema) => schema.secrets(providerSettings[schema.name])),
      headers: providers.flatMap((schema) => schema.secretHeaders ?? []),
    },
    providerTimeoutMs: int(env, 'PROVIDER_TIMEOUT_MS', 10_000, 1, 300_000),
    idempotencyLeaseMs: int(env, 'IDEMPOTENCY_LEASE_MS', 30_000, 300, 60_000),
    unauthenticatedWebhooks: {
      perSourcePerSecond: int(env, 'INBOUND_WEBHOOK_LIMIT_PER_SECOND', 20, 0, 1_000_000),
      readIntervalMs: int(env, 'INBOUND_WEBHOOK_READ_INTERVAL_MS', 1000, 0, 60_000),
    },
    http: { requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs: int(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 600_000) },
    apiKeyCacheTtlMs: int(env, 'API_KEY_CACHE_TTL_MS', 5_000, 0, 60_000),
    rateLimitPerSecond: int(env, 'RATE_LIMIT_PER_SECOND', 1000, 0, 1_000_000),
    providerCircuit: {
      failureThreshold: int(env, 'PROVIDER_CIRCUIT_THRESHOLD', 5, 1, 1000),
      openMs: int(env, 'PROVIDER_CIRCUIT_OPEN_MS', 10_000, 100, 3_600_000),
    },
    webhooks: {
      retryScheduleMs: parseDurations('WEBHOOK_RETRY_SCHEDULE', str(env, 'WEBHOOK_RETRY_SCHEDULE', '5s,5m,30m,2h,5h,10h,10h')),
      timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 1, 300_000),
      allowPrivateUrls: bool(env, 'WEBHOOK_ALLOW_PRIVATE_URLS', !production),
      secretRotationGraceMs: duration(env, 'WEBHOOK_SECRET_ROTATION_GRACE', '24h', 0, 30 * 86_400_000),
      endpointConcurrency: int(env, 'WEBHOOK_ENDPOINT_CONCURRENCY', 10, 1, 500),
      circuitThreshold: int(env, 'WEBHOOK_CIRCUIT_THRESHOLD', 5, 1, 1000),
      circuitOpenMs: duration(env, 'WEBHOOK_CIRCUIT_OPEN', '30s', 100, 86_400_000),
      disableAfterMs: duration(env, 'WEBHOOK_DISABLE_AFTER', '5d', 1000, 365 * 86_400_000),
    },
    secrets: loadSecretsKeyring(env, production),
    retention: {
      eventsMs: duration(env, 'RETENTION_EVENTS', '30d', 60_000, 3650 * 86_400_000),
      attemptsMs: duration(env, 'RETENTION_ATTEMPTS', '30d', 60_000, 3650 * 86_400_000),
      inboundMs: duration(env, 'RETENTION_INBOUND_WEBHOOKS', '30d', 60_000, 3650 * 86_400_000),
      // Never shorter than the window in which a key answers its first request again.
      idempotencyMs: duration(env, 'RETENTION_IDEMPOTENCY_KEYS', '48h', 24 * 3_600_000, 3650 * 86_400_000),
      intervalMs: duration(env, 'RETENTION_INTERVAL', '10m', 100, 86_400_000),
      batchSize: int(env, 'RETENTION_BATCH_SIZE', 1000, 1, 100_000),
    },
    worker: {
      lockMs: int(env, 'WORKER_LOCK_MS', 5_000, 1_000, 600_000),
      concurrency: int(env, 'WORKER_CONCURRENCY', 100, 1, 500),
      sweepIntervalMs: int(env, 'OUTBOX_SWEEP_INTERVAL_MS', 5_000, 100, 3_600_000),
      sweepGraceMs: int(env, 'OUTBOX_SWEEP_GRACE_MS', 10_000, 0, 3_600_000),
      reconcileIntervalMs: int(env, 'RECONCILE_INTERVAL_MS', 30_000, 100, 86_400_000),
      reconcileAfterMs: int(env, 'RECONCILE_AFTER_MS', 60_000, 0, 86_400_000),
    },
  };
}
