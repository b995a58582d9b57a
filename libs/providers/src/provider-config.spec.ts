import { ConfigError, configuredSecrets, loadConfig, logRedactPaths } from '@app/common';
import { PROVIDER_CONFIGS } from './provider-modules';

const load = (env: Record<string, string>) => loadConfig(env, PROVIDER_CONFIGS);

function configError(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('the registered providers’ configuration schemas', () => {
  it('give the documented defaults, FlexiQash first (the default provider)', () => {
    const config = load({});
    expect(config.payments.defaultProvider).toBe('flexiqash');
    expect(config.providers).toMatchObject({
      flexiqash: { baseUrl: 'http://127.0.0.1:4010', currency: 'USD', currencies: ['USD'] },
      flashpay: { baseUrl: 'http://127.0.0.1:4020', basePath: '/api/v1', currencies: ['NGN'], checkoutUrlTemplate: '{baseUrl}/checkout/{id}' },
    });
  });

  it.each([
    [{ FLEXIQASH_CURRENCY: 'dollars' }, 'FLEXIQASH_CURRENCY'],
    [{ FLASHPAY_CURRENCIES: 'NGN,XYZ' }, 'FLASHPAY_CURRENCIES'],
    [{ FLASHPAY_CURRENCIES: ' , ' }, 'FLASHPAY_CURRENCIES'],
    [{ FLASHPAY_BASE_PATH: 'api' }, 'FLASHPAY_BASE_PATH'],
    [{ FLASHPAY_BASE_URL: 'ftp://x' }, 'FLASHPAY_BASE_URL'],
    [{ PAYMENTS_CURRENCY_ROUTES: 'NGN=flexiqash' }, 'PAYMENTS_CURRENCY_ROUTES'],
  ])('refuses %j in one line naming %s', (env, variable) => {
    const error = configError(env as Record<string, string>);
    expect(error.variable).toBe(variable);
    expect(error.message).not.toContain('\n');
  });

  it('require credentials in production without printing any value', () => {
    const error = configError({ NODE_ENV: 'production', ADMIN_API_KEY: 'a-very-secret-admin-key-123' });
    expect(error.message).toBe('Invalid configuration: FLEXIQASH_API_TOKEN is required');
  });

  it('hand their secrets and signature header to the log redaction', () => {
    const config = load({ FLEXIQASH_API_TOKEN: 'fq-token-123456', FLEXIQASH_WEBHOOK_SECRET: 'fq-secret-123456', FLASHPAY_API_TOKEN: 'fp-token-123456' });
    expect(configuredSecrets(config)).toEqual(expect.arrayContaining(['fq-token-123456', 'fq-secret-123456', 'fp-token-123456']));
    expect(logRedactPaths(config.redact.headers)).toEqual(expect.arrayContaining(['req.headers["x-flexiqash-signature"]', 'headers["x-flexiqash-signature"]']));
  });
});
