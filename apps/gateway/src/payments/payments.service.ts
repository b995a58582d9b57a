import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError, ApiErrorType, APP_CONFIG, AppConfig, isId, newId } from '@app/common';
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
import { EventType } from '@app/outbox';
import { PaymentSyncService, presentPayment, transactionRow } from '@app/sync';
import { RoutingService } from '../admin/routing.service';
import { CreatePaymentDto, UpdatePaymentDto } from './dto/create-payment.dto';
import { ListPaymentsQuery } from './dto/list-payments.query';

@Injectable()
export class PaymentsService {
  private readonly logger = new Logger(PaymentsService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly payments: PaymentRepository,
    private readonly providers: ProviderRegistry,
    private readonly routing: RoutingService,
    private readonly sync: PaymentSyncService,
  ) {}

  /**
   * The payment row is written before the provider is called, so a crash or an unknown outcome never leaves a
   * provider payment the gateway does not know about. If the provider certainly did nothing, the row is removed
   * again; if the outcome is unknown, the row stays pending and flagged for reconciliation.
   */
  async create(principal: Principal, dto: CreatePaymentDto): Promise<Payment> {
    const { table } = await this.routing.current();
    const { provider: name, reason } = chooseProvider(table, dto.currency, dto.provider);
    let provider = requireCapability(this.providers.get(name), 'payments.create');
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
      version: 0,
      lastCheckedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.payments.insert(row);

    let created: ProviderPayment;
    for (;;) {
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
        break;
      } catch (error) {
        const next = reason === 'request' ? null : this.failoverTarget(provider, row.currency, error);
        if (next) {
          this.logger.warn(`payment ${row.id}: ${provider.name} certainly did not create it (${(error as Error).message}); failing over to ${next.name}`);
          provider = next;
          row.provider = next.name;
          await this.payments.save(row);
          continue;
        }
        throw await this.afterFailedCreate(row, error);
      }
    }
    const confirmed = await this.sync.changePayment(row.id, (payment) => {
      payment.provider = provider.name;
      payment.providerPaymentId = created.providerPaymentId;
      payment.status = nextPaymentStatus(payment.status, created.status);
      payment.providerStatus = created.providerStatus;
      payment.checkoutUrl = created.checkoutUrl;
      payment.expiresAt = created.expiresAt ? new Date(created.expiresAt) : null;
      payment.providerStateUnknown = false;
      const events: EventType[] = ['payment.created'];
      if (payment.status !== 'pending') events.push(`payment.${payment.status}` as EventType);
      return events;
    }, row);
    return presentPayment(confirmed!.row);
  }

  /**
   * PAYMENTS_FAILOVER applies to a payment the routing chose (not one whose provider the caller named), and only
   * when the first provider certainly created nothing: connection refused or its circuit open. A timeout or a 5xx
   * may have created a payment there, and a second one elsewhere could charge the payer twice.
   */
  private failoverTarget(from: PaymentProvider, currency: string, error: unknown): PaymentProvider | null {
    if (!(error instanceof ProviderError) || !error.certainlyNotExecuted) return null;
    const target = this.config.payments.failover[from.name];
    if (!target) return null;
    const candidate = this.providers.get(target);
    if (!candidate.capabilities.has('payments.create') || !candidate.currencies.includes(currency)) return null;
    return candidate;
  }

  /**
   * What a failed create leaves behind. If the provider certainly did nothing, the row goes again. If the outcome
   * is unknown, the row stays pending and flagged for reconciliation, and the answer names it so the caller can
   * follow that payment instead of creating another.
   */
  private async afterFailedCreate(row: PaymentEntity, error: unknown): Promise<unknown> {
    const certainlyNothing =
      !(error instanceof ProviderError) || error.certainlyNotExecuted || error.kind === 'rejected' || error.kind === 'auth';
    if (certainlyNothing) {
      await this.payments.delete(row.id);
      return error;
    }
    this.logger.warn(`payment ${row.id}: outcome at ${row.provider} unknown (${error.kind}); left pending for reconciliation`);
    const { status, type, code } = error.http;
    return new ApiError(status, type as ApiErrorType, code, `${error.message}; the payment ${row.id} is pending until the gateway learns the outcome`, {
      provider: error.provider,
      providerStatus: error.providerStatus,
      paymentId: row.id,
    });
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
    // The missing capability wins over the payment's state: a Flashpay payment can never be updated, whatever its status.
    const provider = dto.description !== undefined || dto.amount !== undefined ? requireCapability(this.providerOf(row), 'payments.update') : null;
    this.assertMutable(row, 'updated');
    if (provider) {
      await provider.updatePayment(this.providerIdOf(row), {
        description: dto.description,
        amount: dto.amount,
        currency: row.currency,
      });
    }
    const updated = await this.sync.changePayment(row.id, (payment) => {
      payment.description = dto.description ?? payment.description;
      payment.amount = dto.amount ?? payment.amount;
      payment.metadata = dto.metadata ?? payment.metadata;
      return ['payment.updated'];
    }, row);
    return presentPayment(updated!.row);
  }

  async cancel(principal: Principal, id: string): Promise<Payment> {
    const row = await this.find(principal, id);
    const provider = requireCapability(this.providerOf(row), 'payments.cancel');
    if (row.status === 'cancelled') return presentPayment(row);
    this.assertMutable(row, 'cancelled');
    await provider.cancelPayment(this.providerIdOf(row));
    const cancelled = await this.sync.changePayment(row.id, (payment) => {
      // A webhook may have reported success meanwhile: money that moved is not undone by our cancel.
      if (nextPaymentStatus(payment.status, 'cancelled') !== 'cancelled') return null;
      payment.status = 'cancelled';
      payment.providerStatus = 'deleted';
      return ['payment.cancelled'];
    }, row);
    return presentPayment(cancelled!.row);
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
    const changed = await this.sync.changePayment(row.id, (payment) => {
      if (payment.archived === archived) return null;
      payment.archived = archived;
      return [archived ? 'payment.archived' : 'payment.unarchived'];
    }, row);
    return presentPayment(changed!.row);
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
    requireCapability(this.providerOf(row), 'payments.read');
    this.providerIdOf(row);
    const refreshed = await this.sync.refreshPayment(row.id);
    return presentPayment(refreshed ?? row);
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
