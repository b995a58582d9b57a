import { ConfigError, loadConfig as load, parseDurations, ProviderConfigSchema, str } from './config';

/** Two providers known only here: the core's configuration must work for any registered names. */
const schema = (name: string, currencies: string[]): ProviderConfigSchema => ({
  name,
  parse: (env, { devDefault }) => ({ currencies, token: str(env, `${name.toUpperCase()}_TOKEN`, devDefault('dev-token')) }),
  secrets: (settings) => [String((settings as unknown as { token: string }).token)],
  secretHeaders: [`x-${name}-signature`],
});
const SCHEMAS = [schema('alpha', ['USD']), schema('beta', ['NGN', 'GHS'])];
const loadConfig = (env: Record<string, string>) => load(env, SCHEMAS);

const expectConfigError = (env: Record<string, string>, variable: string) => {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const message = (caught as Error).message;
  expect(message).toContain(variable);
  expect(message).not.toContain('\n');
  return message;
};

describe('loadConfig', () => {
  it('gives the contract defaults in development', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/payments',
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'paygw',
      publicBaseUrl: 'http://127.0.0.1:3000',
      payments: { defaultProvider: 'alpha', currencyRoutes: {}, failover: {} },
      providers: { alpha: { currencies: ['USD'], token: 'dev-token' }, beta: { currencies: ['NGN', 'GHS'] } },
      redact: { secrets: ['dev-token', 'dev-token'], headers: ['x-alpha-signature', 'x-beta-signature'] },
      unauthenticatedWebhooks: { perSourcePerSecond: 20, readIntervalMs: 1000 },
      providerTimeoutMs: 10000,
      idempotencyLeaseMs: 30000,
      webhooks: { timeoutMs: 10000, allowPrivateUrls: true },
    });
    expect(config.webhooks.retryScheduleMs).toEqual([5000, 300000, 1800000, 7200000, 18000000, 36000000, 36000000]);
    expect(config.adminApiKeyGenerated).toBe(true);
    expect(config.adminApiKey.length).toBeGreaterThanOrEqual(32);
  });

  it('takes LOG_LEVEL from the pino levels, info by default', () => {
    expect(loadConfig({}).logLevel).toBe('info');
    expect(loadConfig({ LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expectConfigError({ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL');
  });

  it('bounds IDEMPOTENCY_LEASE_MS to a minute at most', () => {
    expect(loadConfig({ IDEMPOTENCY_LEASE_MS: '60000' }).idempotencyLeaseMs).toBe(60000);
    expect(() => loadConfig({ IDEMPOTENCY_LEASE_MS: '60001' })).toThrow(/IDEMPOTENCY_LEASE_MS/);
  });

  it('bounds inbound HTTP and the API-key cache', () => {
    expect(loadConfig({})).toMatchObject({ http: { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 72_000 }, apiKeyCacheTtlMs: 5_000 });
    expect(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_HEADERS_TIMEOUT_MS: '2000', API_KEY_CACHE_TTL_MS: '0' })).toMatchObject({
      http: { requestTimeoutMs: 2000, headersTimeoutMs: 2000 },
      apiKeyCacheTtlMs: 0,
    });
    expect(expectConfigError({ HTTP_HEADERS_TIMEOUT_MS: '40000' }, 'HTTP_HEADERS_TIMEOUT_MS')).toBe(
      'Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not be more than HTTP_REQUEST_TIMEOUT_MS',
    );
    expectConfigError({ HTTP_REQUEST_TIMEOUT_MS: '0' }, 'HTTP_REQUEST_TIMEOUT_MS');
    expectConfigError({ API_KEY_CACHE_TTL_MS: '60001' }, 'API_KEY_CACHE_TTL_MS');
  });

  it('takes HOST as an IPv4 or IPv6 address or a host name', () => {
    expect(loadConfig({ HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '::' }).host).toBe('::');
    expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
    expect(loadConfig({ HOST: 'gateway.internal' }).host).toBe('gateway.internal');
  });

  it('parses routes and failover', () => {
    const config = loadConfig({ PAYMENTS_CURRENCY_ROUTES: 'NGN=beta, usd=alpha', PAYMENTS_FAILOVER: 'alpha=beta' });
    expect(config.payments.currencyRoutes).toEqual({ NGN: 'beta', USD: 'alpha' });
    expect(config.payments.failover).toEqual({ alpha: 'beta' });
  });

  it('names the registered providers when one is unknown, and needs at least one', () => {
    expect(expectConfigError({ PAYMENTS_DEFAULT_PROVIDER: 'paypal' }, 'PAYMENTS_DEFAULT_PROVIDER')).toContain('(known: alpha, beta)');
    expect(() => load({}, [])).toThrow('PAYMENTS_DEFAULT_PROVIDER names an unknown provider (known: none)');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ HOST: '127.0.0.1:3000' }, 'HOST'],
    [{ HOST: 'http://localhost' }, 'HOST'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ PAYMENTS_DEFAULT_PROVIDER: 'paypal' }, 'PAYMENTS_DEFAULT_PROVIDER'],
    [{ PAYMENTS_CURRENCY_ROUTES: 'NGN' }, 'PAYMENTS_CURRENCY_ROUTES'],
    [{ PAYMENTS_CURRENCY_ROUTES: 'XYZ=beta' }, 'PAYMENTS_CURRENCY_ROUTES'],
    [{ PAYMENTS_CURRENCY_ROUTES: 'NGN=alpha' }, 'PAYMENTS_CURRENCY_ROUTES'],
    [{ PAYMENTS_FAILOVER: 'alpha=alpha' }, 'PAYMENTS_FAILOVER'],
    [{ PAYMENTS_FAILOVER: 'alpha=gamma' }, 'PAYMENTS_FAILOVER'],
    [{ INBOUND_WEBHOOK_READ_INTERVAL_MS: '-1' }, 'INBOUND_WEBHOOK_READ_INTERVAL_MS'],
    [{ WEBHOOK_RETRY_SCHEDULE: '5 minutes' }, 'WEBHOOK_RETRY_SCHEDULE'],
    [{ WEBHOOK_ALLOW_PRIVATE_URLS: 'maybe' }, 'WEBHOOK_ALLOW_PRIVATE_URLS'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
  ])('refuses %j naming %s', (env, variable) => {
    expectConfigError(env as Record<string, string>, variable);
  });

  it('requires secrets in production and never prints a value', () => {
    expectConfigError({ NODE_ENV: 'production' }, 'ADMIN_API_KEY');
    const message = expectConfigError({ NODE_ENV: 'production', ADMIN_API_KEY: 'a-very-secret-admin-key-123' }, 'ALPHA_TOKEN');
    expect(message).not.toContain('a-very-secret-admin-key-123');
    const short = expectConfigError({ ADMIN_API_KEY: 'hunter2' }, 'ADMIN_API_KEY');
    expect(short).not.toContain('hunter2');
  });

  it('refuses private webhook URLs by default in production', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      ADMIN_API_KEY: 'a-very-secret-admin-key-123',
      ALPHA_TOKEN: 't',
      BETA_TOKEN: 't',
      SECRETS_ENCRYPTION_KEY: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=',
    });
    expect(config.webhooks.allowPrivateUrls).toBe(false);
    expect(config.adminApiKeyGenerated).toBe(false);
  });
});

describe('parseDurations', () => {
  it('reads ms, s, m, h and d', () => {
    expect(parseDurations('X', '250ms,1s,2m,1h,1d')).toEqual([250, 1000, 120000, 3600000, 86400000]);
  });
});
