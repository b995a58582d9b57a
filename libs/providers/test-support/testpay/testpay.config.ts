import { ConfigError, str, url, type ProviderConfigSchema, type ProviderSettings } from '@app/common';
import { isKnownCurrency } from '@app/payments';

export interface TestpaySettings extends ProviderSettings {
  baseUrl: string;
  apiToken: string;
  webhookSecret: string;
  currencies: string[];
}

export const TESTPAY_SIGNATURE_HEADER = 'x-testpay-signature';

export const testpayConfig: ProviderConfigSchema<TestpaySettings> = {
  name: 'testpay',
  parse(env, { devDefault }) {
    const currencies = str(env, 'TESTPAY_CURRENCIES', 'EUR')
      .split(',')
      .map((code) => code.trim().toUpperCase())
      .filter(Boolean);
    if (currencies.length === 0 || !currencies.every(isKnownCurrency)) throw new ConfigError('TESTPAY_CURRENCIES', 'must list ISO 4217 codes');
    return {
      baseUrl: url(env, 'TESTPAY_BASE_URL', 'http://127.0.0.1:4030', ['http:', 'https:']),
      apiToken: str(env, 'TESTPAY_API_TOKEN', devDefault('testpay-dev-token')),
      webhookSecret: str(env, 'TESTPAY_WEBHOOK_SECRET', devDefault('testpay-dev-webhook-secret')),
      currencies,
    };
  },
  secrets: (settings) => [settings.apiToken, settings.webhookSecret],
  secretHeaders: [TESTPAY_SIGNATURE_HEADER],
};
