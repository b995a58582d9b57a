import { Injectable } from '@nestjs/common';
import { ApiError, isId, newId } from '@app/common';
import { Principal, ownerFilter } from '@app/auth';
import {
  Beneficiary,
  CapabilityError,
  PaymentProvider,
  Payout,
  ProviderName,
  requireCapability,
  requireCurrency,
} from '@app/payments';
import { Page, PayoutEntity, PayoutRepository } from '@app/persistence';
import { ProviderRegistry } from '@app/providers';
import { PayoutLifecycleService, presentPayout } from '@app/lifecycle';
import { RoutingService } from '../admin/routing.service';
import { CreatePayoutDto } from './dto/create-payout.dto';

@Injectable()
export class PayoutsService {
  constructor(
    private readonly payouts: PayoutRepository,
    private readonly providers: ProviderRegistry,
    private readonly routing: RoutingService,
    private readonly lifecycle: PayoutLifecycleService,
  ) {}

  /**
   * Payouts go to the body's provider, else the currency's route when that provider can pay out, else the first
   * provider that can pay out in that currency: the payment default is usually a provider without payouts.
   */
  private async choose(currency: string, requested?: ProviderName): Promise<PaymentProvider> {
    if (requested) {
      const provider = requireCapability(this.providers.get(requested), 'payouts.create');
      requireCurrency(provider, currency);
      return provider;
    }
    const { table } = await this.routing.current();
    const candidates = [table.currencyRoutes[currency], table.defaultProvider, ...this.providers.all().map((p) => p.name)];
    for (const name of candidates) {
      if (!name) continue;
      const provider = this.providers.get(name);
      if (provider.capabilities.has('payouts.create') && provider.currencies.includes(currency)) return provider;
    }
    throw new CapabilityError('any', 'payouts.create', `No configured provider can pay out in ${currency}`);
  }

  async create(principal: Principal, dto: CreatePayoutDto): Promise<Payout> {
    if ((dto.beneficiaryId === undefined) === (dto.destination === undefined)) {
      throw ApiError.invalid('Send exactly one of beneficiaryId and destination', [
        { field: 'beneficiaryId', message: 'send exactly one of beneficiaryId and destination' },
      ]);
    }
    const provider = requireCapability(await this.choose(dto.currency, dto.provider), 'payouts.create');
    const row = await this.lifecycle.create({
      ownerId: principal.keyId,
      provider,
      amount: dto.amount,
      currency: dto.currency,
      beneficiaryId: dto.beneficiaryId ?? null,
      destination: dto.destination ? { ...dto.destination } : null,
      reference: dto.reference ?? null,
      description: dto.description ?? null,
    });
    return presentPayout(row);
  }

  async get(principal: Principal, id: string): Promise<Payout> {
    return presentPayout(await this.find(principal, id));
  }

  async list(principal: Principal, limit: number, cursor?: string): Promise<Page<Payout>> {
    const page = await this.payouts.list(ownerFilter(principal), limit, cursor);
    return { data: page.data.map(presentPayout), nextCursor: page.nextCursor };
  }

  async refresh(principal: Principal, id: string): Promise<Payout> {
    const row = await this.find(principal, id);
    if (!row.providerPayoutId) {
      throw ApiError.conflict('provider_state_unknown', 'The provider has not confirmed this payout yet; try again after it is reconciled');
    }
    requireCapability(this.providers.get(row.provider), 'payouts.read');
    return presentPayout((await this.lifecycle.refreshPayout(row.id)) ?? row);
  }

  async beneficiaries(requested?: ProviderName): Promise<{ data: Beneficiary[] }> {
    const provider = requested
      ? this.providers.get(requested)
      : this.providers.all().find((p) => p.capabilities.has('beneficiaries.list')) ?? this.providers.all()[0];
    const capable = requireCapability(provider, 'beneficiaries.list');
    return { data: await capable.listBeneficiaries() };
  }

  private async find(principal: Principal, id: string): Promise<PayoutEntity> {
    const row = isId('po', id) ? await this.payouts.findVisible(id, ownerFilter(principal)) : null;
    if (!row) throw ApiError.notFound('Payout');
    return row;
  }
}
