import { Injectable, Logger } from '@nestjs/common';
import { ApiError, isId, newId } from '@app/common';
import { Principal, ownerFilter } from '@app/auth';
import {
  chooseProvider,
  isPaymentMutable,
  nextPaymentStatus,
  Payment,
  PaymentProvider,
  ProviderError,
  ProviderPayment,
  requireCapability,
  requireCurrency,
  Transaction,
} from '@app/payments';
import { PaymentEntity, PaymentRepository, Page } from '@app/persistence';
import { ProviderRegistry } from '@app/providers';
import { RoutingService } from '../admin/routing.service';
import { CreatePaymentDto, UpdatePaymentDto } from './dto/create-payment.dto';
import { ListPaymentsQuery } from './dto/list-payments.query';
import { presentPayment, transactionRow } from './payment.presenter';

@Injectable()
export class PaymentsService {
  private readonly logger = new Logger(PaymentsService.name);

  constructor(
    private readonly payments: PaymentRepository,
    private readonly providers: ProviderRegistry,
    private readonly routing: RoutingService,
  ) {}

  /**
   * The payment row is written before the provider is called, so a crash or an unknown outcome never leaves a
   * provider payment the gateway does not know about. If the provider certainly did nothing, the row is removed
   * again; if the outcome is unknown, the row stays pending and flagged for reconciliation.
   */
  async create(principal: Principal, dto: CreatePaymentDto): Promise<Payment> {
    const { table } = await this.routing.current();
    const { provider: name } = chooseProvider(table, dto.currency, dto.provider);
    const provider = requireCapability(this.providers.get(name), 'payments.create');
    requireCurrency(provider, dto.currency);

    const now = new Date();
    const row: PaymentEntity = {
      id: newId('pay'),
      ownerId: principal.keyId,
      provider: provider.name,
      providerPaymentId: null,
      amount: dto.amount,
      currency: dto.currency,
      description: dto.description,
      reference: dto.reference ?? null,
      status: 'pending',
      providerStatus: null,
      archived: false,
      checkoutUrl: null,
      payer: dto.payer ? { name: dto.payer.name, email: dto.payer.email, reference: dto.payer.reference ?? null } : null,
      payee: dto.payee ? { ...dto.payee } : null,
      metadata: dto.metadata ?? {},
      providerStateUnknown: true,
      expiresAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.payments.insert(row);

    let created: ProviderPayment;
    try {
      created = await provider.createPayment({
        gatewayPaymentId: row.id,
        amount: row.amount,
        currency: row.currency,
        description: row.description,
        reference: row.reference,
        payer: row.payer,
        payee: row.payee,
        metadata: row.metadata,
      });
    } catch (error) {
      await this.afterFailedCreate(row, error);
      throw error;
    }
    this.applyProviderPayment(row, created);
    row.providerStateUnknown = false;
    await this.payments.save(row);
    return presentPayment(row);
  }

  private async afterFailedCreate(row: PaymentEntity, error: unknown): Promise<void> {
    const certainlyNothing =
      !(error instanceof ProviderError) || error.certainlyNotExecuted || error.kind === 'rejected' || error.kind === 'auth';
    if (certainlyNothing) {
      await this.payments.delete(row.id);
      return;
    }
    this.logger.warn(`payment ${row.id}: outcome at ${row.provider} unknown (${error.kind}); left pending for reconciliation`);
  }

  private applyProviderPayment(row: PaymentEntity, reported: ProviderPayment): void {
    row.providerPaymentId = reported.providerPaymentId;
    row.status = nextPaymentStatus(row.status, reported.status);
    row.providerStatus = reported.providerStatus;
    row.checkoutUrl = reported.checkoutUrl ?? row.checkoutUrl;
    row.expiresAt = reported.expiresAt ? new Date(reported.expiresAt) : row.expiresAt;
    row.updatedAt = new Date();
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
    this.assertMutable(row, 'updated');
    if (dto.description !== undefined || dto.amount !== undefined) {
      const provider = requireCapability(this.providerOf(row), 'payments.update');
      await provider.updatePayment(this.providerIdOf(row), {
        description: dto.description,
        amount: dto.amount,
        currency: row.currency,
      });
    }
    row.description = dto.description ?? row.description;
    row.amount = dto.amount ?? row.amount;
    row.metadata = dto.metadata ?? row.metadata;
    row.updatedAt = new Date();
    await this.payments.save(row);
    return presentPayment(row);
  }

  async cancel(principal: Principal, id: string): Promise<Payment> {
    const row = await this.find(principal, id);
    if (row.status === 'cancelled') return presentPayment(row);
    this.assertMutable(row, 'cancelled');
    const provider = requireCapability(this.providerOf(row), 'payments.cancel');
    await provider.cancelPayment(this.providerIdOf(row));
    row.status = 'cancelled';
    row.providerStatus = 'deleted';
    row.updatedAt = new Date();
    await this.payments.save(row);
    return presentPayment(row);
  }

  async setArchived(principal: Principal, id: string, archived: boolean): Promise<Payment> {
    const row = await this.find(principal, id);
    const provider = requireCapability(this.providerOf(row), 'payments.archive');
    if (row.archived === archived) return presentPayment(row);
    if (row.status === 'cancelled') {
      // A cancelled FlexiQash payment was deleted there; the archive flag is then the gateway's alone.
    } else if (archived) {
      await provider.archivePayment(this.providerIdOf(row));
    } else {
      await provider.unarchivePayment(this.providerIdOf(row));
    }
    row.archived = archived;
    row.updatedAt = new Date();
    await this.payments.save(row);
    return presentPayment(row);
  }

  async transactions(principal: Principal, id: string): Promise<{ data: Transaction[] }> {
    const row = await this.find(principal, id);
    const provider = requireCapability(this.providerOf(row), 'payments.transactions');
    const transactions = await provider.listTransactions(this.providerIdOf(row), row.currency);
    const seenAt = new Date();
    await this.payments.upsertTransactions(transactions.map((tx) => transactionRow(row.id, tx, seenAt)));
    return { data: transactions };
  }

  /** Re-reads the payment from its provider now and stores what changed. */
  async refresh(principal: Principal, id: string): Promise<Payment> {
    const row = await this.find(principal, id);
    const provider = requireCapability(this.providerOf(row), 'payments.read');
    let reported: ProviderPayment;
    try {
      reported = await provider.getPayment(this.providerIdOf(row));
    } catch (error) {
      // A payment cancelled through the gateway may be gone at the provider (FlexiQash deletes it): keep ours.
      if (error instanceof ProviderError && error.kind === 'not_found' && row.status === 'cancelled') return presentPayment(row);
      throw error;
    }
    this.applyProviderPayment(row, reported);
    await this.payments.save(row);
    return presentPayment(row);
  }

  private async find(principal: Principal, id: string): Promise<PaymentEntity> {
    const row = isId('pay', id) ? await this.payments.findVisible(id, ownerFilter(principal)) : null;
    if (!row) throw ApiError.notFound('Payment');
    return row;
  }

  private providerOf(row: PaymentEntity): PaymentProvider {
    return this.providers.get(row.provider);
  }

  private providerIdOf(row: PaymentEntity): string {
    if (!row.providerPaymentId) {
      throw ApiError.conflict('provider_state_unknown', 'The provider has not confirmed this payment yet; try again after it is reconciled');
    }
    return row.providerPaymentId;
  }

  private assertMutable(row: PaymentEntity, verb: string): void {
    if (!isPaymentMutable(row.status)) {
      throw ApiError.conflict('invalid_state', `A ${row.status} payment cannot be ${verb}`);
    }
  }
}
