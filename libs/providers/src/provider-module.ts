import type { AppConfig, ProviderConfigSchema, ProviderSettings } from '@app/common';
import type { PaymentProvider } from '@app/payments';
import type { HttpTransport, ProviderOptions } from './http/provider-http';

/**
 * Everything the gateway knows about one provider, declared in the provider's own folder: its name, its
 * configuration schema (environment variables, one-line errors, secrets to redact) and how to build its adapter.
 * The adapter then declares the rest: capabilities, currencies, inbound webhook handling, reachability probe and
 * reconciliation lookups (PaymentProvider). The core reaches providers only through this and the registry.
 */
export interface ProviderModule<S extends ProviderSettings = ProviderSettings> {
  readonly name: string;
  readonly config: ProviderConfigSchema<S>;
  create(config: AppConfig, http: HttpTransport | undefined, options: ProviderOptions): PaymentProvider;
}

/** The configuration schemas of these modules, for loadConfig. */
export function configSchemas(modules: readonly ProviderModule[]): ProviderConfigSchema[] {
  return modules.map((module) => module.config as unknown as ProviderConfigSchema);
}
