import { flashpayModule } from './flashpay/flashpay.module';
import { flexiqashModule } from './flexiqash/flexiqash.module';
import { configSchemas, type ProviderModule } from './provider-module';

/**
 * The registered providers: adding one is its folder and one line here. The first is the default provider when
 * PAYMENTS_DEFAULT_PROVIDER is not set.
 */
export const PROVIDER_MODULES: readonly ProviderModule[] = [flexiqashModule, flashpayModule];

/** Their configuration schemas, for loadConfig / loadConfigOrExit. */
export const PROVIDER_CONFIGS = configSchemas(PROVIDER_MODULES);
