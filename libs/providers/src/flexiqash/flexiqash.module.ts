import type { ProviderModule } from '../provider-module';
import { FlexiqashSettings, flexiqashConfig } from './flexiqash.config';
import { FlexiqashProvider } from './flexiqash.provider';

export const flexiqashModule: ProviderModule<FlexiqashSettings> = {
  name: FlexiqashProvider.identifier,
  config: flexiqashConfig,
  create: (config, http, options) => new FlexiqashProvider(config, http, options),
};
