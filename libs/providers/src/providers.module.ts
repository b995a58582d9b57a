import { DynamicModule, Logger, Module, Provider } from '@nestjs/common';
import { HttpModule, HttpService } from '@nestjs/axios';
import { APP_CONFIG, AppConfig } from '@app/common';
import { PAYMENT_PROVIDERS, PaymentProvider } from '@app/payments';
import { FlashpayProvider } from './flashpay/flashpay.provider';
import { FlexiqashProvider } from './flexiqash/flexiqash.provider';
import { ProviderRegistry } from './provider.registry';

export interface ProvidersModuleOptions {
  /** The configuration to build the providers from, when APP_CONFIG is not already provided by a global module. */
  config?: AppConfig;
  /** Register as a global module so every module can inject the providers and the registry. */
  isGlobal?: boolean;
}

const PROVIDERS: Provider[] = [
  {
    provide: FlexiqashProvider,
    inject: [APP_CONFIG, HttpService],
    useFactory: (config: AppConfig, http: HttpService) =>
      new FlexiqashProvider(config, http, { logger: new Logger(FlexiqashProvider.name) }),
  },
  {
    provide: FlashpayProvider,
    inject: [APP_CONFIG, HttpService],
    useFactory: (config: AppConfig, http: HttpService) =>
      new FlashpayProvider(config, http, { logger: new Logger(FlashpayProvider.name) }),
  },
  {
    provide: PAYMENT_PROVIDERS,
    inject: [FlexiqashProvider, FlashpayProvider],
    useFactory: (...all: PaymentProvider[]): PaymentProvider[] => all,
  },
  {
    provide: ProviderRegistry,
    inject: [PAYMENT_PROVIDERS],
    useFactory: (all: PaymentProvider[]) => new ProviderRegistry(all),
  },
];

/**
 * Both payment providers, the PAYMENT_PROVIDERS list and the ProviderRegistry, built from APP_CONFIG.
 *
 *   imports: [ProvidersModule]                                        // APP_CONFIG from a @Global() module
 *   imports: [ProvidersModule.forRoot({ config, isGlobal: true })]   // APP_CONFIG given here
 *
 * A provider declared only in the importing module is not visible inside this one, hence the two forms.
 * Timeouts, keep-alive agents and redirects are set per request by the clients, so the plain HttpModule is enough.
 * Each provider closes its idle sockets in onApplicationShutdown, after the HTTP server stopped.
 */
@Module({
  imports: [HttpModule],
  providers: PROVIDERS,
  exports: [FlexiqashProvider, FlashpayProvider, PAYMENT_PROVIDERS, ProviderRegistry],
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
