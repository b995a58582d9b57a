import { Injectable } from '@nestjs/common';
import { ApiError, isId } from '@app/common';
import { Principal, ownerFilter } from '@app/auth';
import { chooseProvider, Payment, requireCapability, requireCurrency, Transaction } from '@app/payments';
import { PaymentEntity, PaymentRepository, Page } from '@app/persistence';
import { ProviderRegistry } from '@app/providers';
import { PaymentLifecycleService, presentPayment } from '@app/lifecycle';
import { RoutingService } from '../admin/routing.service';
import { CreatePaymentDto, UpdatePaymentDto } from './dto/create-payment.dto';
import { ListPaymentsQuery } from './dto/list-payments.query';

/** Reads, tenancy and routing; every state change is the lifecycle core's (libs/lifecycle). */
@Injectable()
export class PaymentsService {
  constructor(
    private readonly payments: PaymentRepository,
    private readonly providers: ProviderRegistry,
    private readonly routing: RoutingService,
    private readonly lifecycle: PaymentLifecycleService,
  ) {}

  /** Routing and capability checks; the create protocol itself is the lifecycle core's. */
  async create(principal: Principal, dto: CreatePaymentDto): Promise<Payment> {
    const { table } = await this.routing.current();
    const { provider: name, reason } = chooseProvider(table, dto.currency, dto.provider);
    const provider = requireCapability(this.providers.get(name), 'payments.create');
    requireCurrency(provider, dto.currency);
    const row = await this.lifecycle.create({
      ownerId: principal.keyId,
      provider,
      mayFailOver: reason !== 'request',
      amount: dto.amount,
      currency: dto.currency,
      description: dto.description,
      reference: dto.reference ?? null,
      payer: dto.payer ? { name: dto.payer.name, email: dto.payer.email, reference: dto.payer.reference ?? null } : null,
      payee: dto.payee ? { ...dto.payee } : null,
      metadata: dto.metadata ?? {},
    });
    return presentPayment(row);
  }

  async get(principal: Principal, id: string): Promise<Payment> {
    return presentPayment(await this.find(principal, id));
  }

  async list(principal: Principal, query: ListPaymentsQuery): Promise<Page<Payment>> {
    const page = await this.payments.list({ ownerId: ownerFilter(principal), ...query });
    return { data: page.data.map(presentPayment), nextCursor: page.nextCursor };
  }

  /**
   * Description and amount live at the provider, so changing them needs its update capability; metadata is the
   * gateway's own and can change on any provider.
   */
  async update(principal: Principal, id: string, dto: UpdatePaymentDto): Promise<Payment> {
    const row = await this.find(principal, id);
    if (dto.description === undefined && dto.amount === undefined && dto.metadata === undefined) {
      throw ApiError.invalid('Nothing to update: send description, amount or metadata');
    }
    return presentPayment(await this.lifecycle.update(row.id, { description: dto.description, amount: dto.amount, metadata: dto.metadata }));
  }

  async cancel(principal: Principal, id: string): Promise<Payment> {
    const row = await this.find(principal, id);
    return presentPayment(await this.lifecycle.cancel(row.id));
  }

  async setArchived(principal: Principal, id: string, archived: boolean): Promise<Payment> {
    const row = await this.find(principal, id);
    return presentPayment(await this.lifecycle.setArchived(row.id, archived));
  }

  async transactions(principal: Principal, id: string): Promise<{ data: Transaction[] }> {
    return { data: await this.lifecycle.transactions(await this.find(principal, id)) };
  }

  /** Re-reads the payment from its provider now and stores what changed. */
  async refresh(principal: Principal, id: string): Promise<Payment> {
    const row = await this.find(principal, id);
    requireCapability(this.providers.get(row.provider), 'payments.read');
    if (!row.providerPaymentId) {
      throw ApiError.conflict('provider_state_unknown', 'The provider has not confirmed this payment yet; try again after it is reconciled');
    }
    const refreshed = await this.lifecycle.refreshPayment(row.id);
    return presentPayment(refreshed ?? row);
  }

  private async find(principal: Principal, id: string): Promise<PaymentEntity> {
    const row = isId('pay', id) ? await this.payments.findVisible(id, ownerFilter(principal)) : null;
    if (!row) throw ApiError.notFound('Payment');
    return row;
  }
}
