import type { ProviderModule } from '../provider-module';
import { FlashpaySettings, flashpayConfig } from './flashpay.config';
import { FlashpayProvider } from './flashpay.provider';

export const flashpayModule: ProviderModule<FlashpaySettings> = {
  name: FlashpayProvider.identifier,
  config: flashpayConfig,
  create: (config, http, options) => new FlashpayProvider(config, http, options),
};
