import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import { CapabilityError, requireCapability, requireCurrency, RoutingTable } from '@app/payments';
import { RoutingRepository } from '@app/persistence';
import { ProviderRegistry } from '@app/providers';

/** Re-read at most this often, so a PUT on one instance is in effect on every instance within a second. */
const CACHE_MS = 500;

@Injectable()
export class RoutingService {
  private cached: { table: RoutingTable; source: 'stored' | 'environment'; at: number } | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: RoutingRepository,
    private readonly providers: ProviderRegistry,
  ) {}

  async current(): Promise<{ table: RoutingTable; source: 'stored' | 'environment' }> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached;
    const row = await this.repository.load();
    const fresh = row
      ? { table: { defaultProvider: row.defaultProvider, currencyRoutes: row.currencyRoutes }, source: 'stored' as const }
      : { table: { defaultProvider: this.config.payments.defaultProvider, currencyRoutes: this.config.payments.currencyRoutes }, source: 'environment' as const };
    this.cached = { ...fresh, at: Date.now() };
    return fresh;
  }

  /** Every route must name a provider that takes that currency and can create payments. */
  validate(table: RoutingTable): void {
    requireCapability(this.providers.get(table.defaultProvider), 'payments.create');
    for (const [currency, name] of Object.entries(table.currencyRoutes)) {
      const provider = this.providers.get(name);
      requireCapability(provider, 'payments.create');
      requireCurrency(provider, currency);
    }
  }

  async store(table: RoutingTable, changedBy: string): Promise<RoutingTable> {
    this.validate(table);
    const before = (await this.current()).table;
    await this.repository.store(table, before, changedBy);
    this.cached = null;
    return table;
  }
}

export { CapabilityError };
