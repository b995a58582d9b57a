import { PaymentProvider } from '@app/payments';

export class UnknownProviderError extends Error {
  constructor(readonly providerName: string) {
    super(`unknown payment provider ${JSON.stringify(providerName)}`);
    this.name = 'UnknownProviderError';
  }
}

/**
 * Looks providers up by name. ProvidersModule builds it from PAYMENT_PROVIDERS with a factory, so the class needs
 * no Nest decorators and tests construct it directly.
 */
export class ProviderRegistry {
  private readonly byName: ReadonlyMap<string, PaymentProvider>;

  constructor(private readonly providers: readonly PaymentProvider[]) {
    const byName = new Map<string, PaymentProvider>();
    for (const provider of providers) {
      if (byName.has(provider.name)) throw new Error(`payment provider ${provider.name} is registered twice`);
      byName.set(provider.name, provider);
    }
    this.byName = byName;
  }

  /** Throws UnknownProviderError for a name no provider has. */
  get(name: string): PaymentProvider {
    const provider = this.byName.get(name);
    if (!provider) throw new UnknownProviderError(name);
    return provider;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  all(): readonly PaymentProvider[] {
    return this.providers;
  }

  /** Names in registration order. */
  names(): string[] {
    return this.providers.map((provider) => provider.name);
  }

  /** Nest calls hooks on the registry, not on the adapters inside PAYMENT_PROVIDERS: each closes its sockets here. */
  onApplicationShutdown(): void {
    for (const provider of this.providers) (provider as { onApplicationShutdown?: () => void }).onApplicationShutdown?.();
  }
}
