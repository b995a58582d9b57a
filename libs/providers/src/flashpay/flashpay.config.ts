import { ConfigError, str, url, type ProviderConfigSchema, type ProviderSettings } from '@app/common';
import { currencyList } from '../shared/config-values';

export interface FlashpaySettings extends ProviderSettings {
  baseUrl: string;
  basePath: string;
  apiToken: string;
  currencies: string[];
  checkoutUrlTemplate: string;
}

/** Dev-only credential that matches the bundled sandbox; refused when NODE_ENV=production. */
export const FLASHPAY_SANDBOX_DEFAULTS = { apiToken: 'sandbox-flashpay-token' } as const;

export const flashpayConfig: ProviderConfigSchema<FlashpaySettings> = {
  name: 'flashpay',
  parse(env, { devDefault }) {
    const currencies = currencyList(env, 'FLASHPAY_CURRENCIES', 'NGN');
    const basePath = str(env, 'FLASHPAY_BASE_PATH', '/api/v1');
    if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(basePath)) throw new ConfigError('FLASHPAY_BASE_PATH', 'must be a path like /api/v1');
    return {
      baseUrl: url(env, 'FLASHPAY_BASE_URL', 'http://127.0.0.1:4020', ['http:', 'https:']),
      basePath,
      apiToken: str(env, 'FLASHPAY_API_TOKEN', devDefault(FLASHPAY_SANDBOX_DEFAULTS.apiToken)),
      currencies,
      checkoutUrlTemplate: str(env, 'FLASHPAY_CHECKOUT_URL_TEMPLATE', '{baseUrl}/checkout/{id}'),
    };
  },
  secrets: (settings) => [settings.apiToken],
};
