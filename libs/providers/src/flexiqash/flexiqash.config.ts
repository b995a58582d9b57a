import { str, url, type ProviderConfigSchema, type ProviderSettings } from '@app/common';
import { currencyValue } from '../shared/config-values';

export interface FlexiqashSettings extends ProviderSettings {
  baseUrl: string;
  apiToken: string;
  webhookSecret: string;
  /** FLEXIQASH_CURRENCY: FlexiQash amounts carry no currency, they are the account's. */
  currency: string;
}

/** Dev-only credentials that match the bundled sandbox; refused when NODE_ENV=production. */
export const FLEXIQASH_SANDBOX_DEFAULTS = {
  apiToken: 'sandbox-flexiqash-token',
  webhookSecret: 'sandbox-flexiqash-webhook-secret',
} as const;

export const FLEXIQASH_SIGNATURE_HEADER = 'x-flexiqash-signature';

export const flexiqashConfig: ProviderConfigSchema<FlexiqashSettings> = {
  name: 'flexiqash',
  parse(env, { devDefault }) {
    const currency = currencyValue('FLEXIQASH_CURRENCY', env.FLEXIQASH_CURRENCY || 'USD');
    return {
      baseUrl: url(env, 'FLEXIQASH_BASE_URL', 'http://127.0.0.1:4010', ['http:', 'https:']),
      apiToken: str(env, 'FLEXIQASH_API_TOKEN', devDefault(FLEXIQASH_SANDBOX_DEFAULTS.apiToken)),
      webhookSecret: str(env, 'FLEXIQASH_WEBHOOK_SECRET', devDefault(FLEXIQASH_SANDBOX_DEFAULTS.webhookSecret)),
      currency,
      currencies: [currency],
    };
  },
  secrets: (settings) => [settings.apiToken, settings.webhookSecret],
  secretHeaders: [FLEXIQASH_SIGNATURE_HEADER],
};
