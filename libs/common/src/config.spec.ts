import { ConfigError, loadConfig, parseDurations } from './config';

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
      payments: { defaultProvider: 'flexiqash', currencyRoutes: {}, failover: {} },
      flexiqash: { baseUrl: 'http://127.0.0.1:4010', currency: 'USD' },
      flashpay: { baseUrl: 'http://127.0.0.1:4020', basePath: '/api/v1', currencies: ['NGN'] },
      providerTimeoutMs: 10000,
      webhooks: { timeoutMs: 10000, allowPrivateUrls: true },
    });
    expect(config.webhooks.retryScheduleMs).toEqual([5000, 300000, 1800000, 7200000, 18000000, 36000000, 36000000]);
    expect(config.adminApiKeyGenerated).toBe(true);
    expect(config.adminApiKey.length).toBeGreaterThanOrEqual(32);
  });

  it('takes HOST as an IPv4 or IPv6 address or a host name', () => {
    expect(loadConfig({ HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '::' }).host).toBe('::');
    expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
    expect(loadConfig({ HOST: 'gateway.internal' }).host).toBe('gateway.internal');
  });

  it('parses routes and failover', () => {
    const config = loadConfig({ PAYMENTS_CURRENCY_ROUTES: 'NGN=flashpay, usd=flexiqash', PAYMENTS_FAILOVER: 'flexiqash=flashpay' });
    expect(config.payments.currencyRoutes).toEqual({ NGN: 'flashpay', USD: 'flexiqash' });
    expect(config.payments.failover).toEqual({ flexiqash: 'flashpay' });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ HOST: '127.0.0.1:3000' }, 'HOST'],
    [{ HOST: 'http://localhost' }, 'HOST'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ PAYMENTS_DEFAULT_PROVIDER: 'paypal' }, 'PAYMENTS_DEFAULT_PROVIDER'],
    [{ PAYMENTS_CURRENCY_ROUTES: 'NGN' }, 'PAYMENTS_CURRENCY_ROUTES'],
    [{ PAYMENTS_CURRENCY_ROUTES: 'XYZ=flashpay' }, 'PAYMENTS_CURRENCY_ROUTES'],
    [{ PAYMENTS_CURRENCY_ROUTES: 'NGN=flexiqash' }, 'PAYMENTS_CURRENCY_ROUTES'],
    [{ PAYMENTS_FAILOVER: 'flexiqash=flexiqash' }, 'PAYMENTS_FAILOVER'],
    [{ FLEXIQASH_CURRENCY: 'dollars' }, 'FLEXIQASH_CURRENCY'],
    [{ WEBHOOK_RETRY_SCHEDULE: '5 minutes' }, 'WEBHOOK_RETRY_SCHEDULE'],
    [{ WEBHOOK_ALLOW_PRIVATE_URLS: 'maybe' }, 'WEBHOOK_ALLOW_PRIVATE_URLS'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
  ])('refuses %j naming %s', (env, variable) => {
    expectConfigError(env as Record<string, string>, variable);
  });

  it('requires secrets in production and never prints a value', () => {
    expectConfigError({ NODE_ENV: 'production' }, 'ADMIN_API_KEY');
    const message = expectConfigError({ NODE_ENV: 'production', ADMIN_API_KEY: 'a-very-secret-admin-key-123' }, 'FLEXIQASH_API_TOKEN');
    expect(message).not.toContain('a-very-secret-admin-key-123');
    const short = expectConfigError({ ADMIN_API_KEY: 'hunter2' }, 'ADMIN_API_KEY');
    expect(short).not.toContain('hunter2');
  });

  it('refuses private webhook URLs by default in production', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      ADMIN_API_KEY: 'a-very-secret-admin-key-123',
      FLEXIQASH_API_TOKEN: 't',
      FLEXIQASH_WEBHOOK_SECRET: 's',
      FLASHPAY_API_TOKEN: 't',
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
