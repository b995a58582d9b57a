import type { ProviderModule } from '@app/providers';
import { TestpaySettings, testpayConfig } from './testpay.config';
import { TestpayProvider } from './testpay.provider';

/** The one thing a registration list needs: `[...PROVIDER_MODULES, testpayModule]`. */
export const testpayModule: ProviderModule<TestpaySettings> = {
  name: TestpayProvider.identifier,
  config: testpayConfig,
  create: (config, http, options) => new TestpayProvider(config, http, options),
};
