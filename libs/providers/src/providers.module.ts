import { DynamicModule, Logger, Module, Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import { PAYMENT_PROVIDERS, PaymentProvider } from '@app/payments';
import type { HttpTransport } from './http/http-transport';
import { ProviderModule } from './provider-module';
import { PROVIDER_MODULES } from './provider-modules';
import { ProviderRegistry } from './provider.registry';

export interface ProvidersModuleOptions {
  /** The configuration to build the providers from, when APP_CONFIG is not already provided by a global module. */
  config?: AppConfig;
  /** Register as a global module so every module can inject the providers and the registry. */
  isGlobal?: boolean;
}

/** Injection token for the provider modules to build (PROVIDER_MODULES unless a test overrides it). */
export const PROVIDER_MODULE_LIST = Symbol('PROVIDER_MODULE_LIST');

/** One adapter per registered module, each with a Nest logger named after its class. */
export function buildProviders(modules: readonly ProviderModule[], config: AppConfig, http?: HttpTransport): PaymentProvider[] {
  return modules.map((module) => module.create(config, http, { logger: new Logger(`${module.name}Provider`) }));
}

const PROVIDERS: Provider[] = [
  { provide: PROVIDER_MODULE_LIST, useValue: PROVIDER_MODULES },
  {
    provide: PAYMENT_PROVIDERS,
    inject: [PROVIDER_MODULE_LIST, APP_CONFIG],
    useFactory: (modules: readonly ProviderModule[], config: AppConfig) => buildProviders(modules, config),
  },
  {
    provide: ProviderRegistry,
    inject: [PAYMENT_PROVIDERS],
    useFactory: (all: PaymentProvider[]) => new ProviderRegistry(all),
  },
];

/**
 * Every registered provider (PROVIDER_MODULES), the PAYMENT_PROVIDERS list and the ProviderRegistry, built from APP_CONFIG.
 *
 *   imports: [ProvidersModule]                                        // APP_CONFIG from a @Global() module
 *   imports: [ProvidersModule.forRoot({ config, isGlobal: true })]   // APP_CONFIG given here
 *
 * A provider declared only in the importing module is not visible inside this one, hence the two forms.
 * Each adapter's clients make their own HTTP transport (keep-alive agents, deadline, no redirects: http-transport.ts).
 * Nest calls lifecycle hooks only on class providers, so the registry forwards onApplicationShutdown to each
 * adapter (they close their idle sockets there, after the HTTP server stopped).
 */
@Module({
  providers: PROVIDERS,
  exports: [PAYMENT_PROVIDERS, ProviderRegistry],
})
export class ProvidersModule {
  static forRoot(options: ProvidersModuleOptions = {}): DynamicModule {
    return {
      module: ProvidersModule,
      global: options.isGlobal ?? false,
      providers: options.config ? [{ provide: APP_CONFIG, useValue: options.config }] : [],
    };
  }
}
