import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError, APP_CONFIG, AppConfig, newId } from '@app/common';
import {
  isPaymentMutable,
  nextPaymentStatus,
  CreateProviderPaymentInput,
  Payee,
  Payer,
  PaymentProvider,
  PaymentStatus,
  ProviderError,
  ProviderPayment,
  requireCapability,
  Transaction,
} from '@app/payments';
import { PaymentEntity, PaymentRepository } from '@app/persistence';
import { ProviderRegistry } from '@app/providers';
import { EmitInput, EventType, OutboxService } from '@app/outbox';
import { confirmationFailedError, createOutcomeOf, unknownOutcomeError } from './create-protocol';
import { currentIdempotencyKey } from './idempotency-scope';
import { LifecycleStore } from './lifecycle.store';
import { presentPayment, transactionRow } from './payment.presenter';
import { HeldLease, ResourceLease } from './resource-lease';

const PAYMENT_STATUS_EVENTS: Record<PaymentStatus, EventType | null> = {
  pending: null,
  succeeded: 'payment.succeeded',
  failed: 'payment.failed',
  cancelled: 'payment.cancelled',
  expired: 'payment.expired',
};

/** An event a change causes; `data` adds to the payment's fields in the event body. */
export type LifecycleEvent = EventType | { type: EventType; data: Record<string, unknown> };

/** What the provider is sent (less the gateway's id, which the row gets first), and who asks where. */
export interface NewPayment extends Omit<CreateProviderPaymentInput, 'gatewayPaymentId'> {
  ownerId: string;
  provider: PaymentProvider;
  /** Whether PAYMENTS_FAILOVER may move it (the routing chose the provider, the caller did not). */
  mayFailOver: boolean;
}

export interface PaymentChanges {
  description?: string;
  amount?: number;
  metadata?: Record<string, string>;
}

/** What a verified, signed provider notification says, used only when the provider no longer has the payment. */
export interface SignedPaymentEvidence {
  succeeded: boolean;
  amount: number | null;
}

/**
 * The only writer of payments and their events. Every state change is here: the create protocol (row, provider
 * call, classified outcome, confirmation), the client's changes (update, cancel, archive: serialized per payment by
 * a lease and re-checked at the provider before and after the call), and what providers report (webhooks,
 * refresh, reconciliation: row-locked, monotonic by the status rules, so the same change never emits twice).
 */
@Injectable()
export class PaymentLifecycleService {
  private readonly logger = new Logger(PaymentLifecycleService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outbox: OutboxService,
    private readonly payments: PaymentRepository,
    private readonly providers: ProviderRegistry,
    private readonly store: LifecycleStore,
    private readonly lease: ResourceLease,
  ) {}

  // ---- create ---------------------------------------------------------------------------------------------------

  /**
   * The row is written (and linked to the request's Idempotency-Key) before the provider is called, so neither a
   * crash nor an unknown outcome leaves a provider payment the gateway does not know about. If the provider
   * certainly did nothing the row goes again; if the outcome is unknown it stays pending and flagged for
   * reconciliation and the answer names it. The payment's lease is held throughout, so nothing else changes it
   * before it is confirmed.
   */
  async create(input: NewPayment): Promise<PaymentEntity> {
    const now = new Date();
    let provider = input.provider;
    const row: PaymentEntity = {
      id: newId('pay'),
      ownerId: input.ownerId,
      provider: provider.name,
      providerPaymentId: null,
      amount: input.amount,
      currency: input.currency,
      description: input.description,
      reference: input.reference,
      status: 'pending',
      providerStatus: null,
      archived: false,
      checkoutUrl: null,
      payer: input.payer,
      payee: input.payee,
      metadata: input.metadata,
      providerStateUnknown: true,
      expiresAt: null,
      version: 0,
      lastCheckedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    // Born leased: the INSERT takes the lease, and the confirmation gives it back in its own statement (two commits).
    const token = this.lease.newToken();
    await this.payments.insertLeased(row, token, this.lease.ttlMs);
    const scope = currentIdempotencyKey();
    if (scope) await this.store.linkIdempotencyKey(scope, row.id);

    return this.lease.runHeld('payments', row.id, token, async (lease) => {
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
          const next = input.mayFailOver ? this.failoverTarget(provider, row.currency, error) : null;
          if (next) {
            this.logger.warn(`payment ${row.id}: ${provider.name} certainly did not create it (${(error as Error).message}); failing over to ${next.name}`);
            provider = next;
            row.provider = next.name;
            await this.payments.save(row);
            continue;
          }
          if (createOutcomeOf(error) === 'nothing') {
            await this.payments.delete(row.id);
            await this.store.unlinkIdempotencyKeys(row.id);
            throw error;
          }
          this.logger.warn(`payment ${row.id}: outcome at ${row.provider} unknown (${(error as Error).message}); left pending for reconciliation`);
          throw unknownOutcomeError('payment', row.id, error);
        }
      }
      try {
        const confirmed = await this.confirmCreated(row, provider.name, created, lease);
        return confirmed ?? row;
      } catch (error) {
        // The provider made it; the row stays flagged and reconciliation adopts it by its reference.
        this.logger.error(`payment ${row.id}: created at ${provider.name} as ${created.providerPaymentId} but not recorded (${(error as Error).message})`);
        throw confirmationFailedError('payment', row.id);
      }
    });
  }

  /**
   * `row` is the payment as inserted (and saved on failover); nothing else could change it while the lease is
   * held, so the confirmation is one statement conditioned on its version that also gives the lease back.
   */
  private async confirmCreated(
    row: PaymentEntity,
    providerName: PaymentEntity['provider'],
    created: ProviderPayment,
    lease: HeldLease,
  ): Promise<PaymentEntity | null> {
    const result = await this.changePayment(row.id, (payment) => {
      payment.provider = providerName;
      payment.providerPaymentId = created.providerPaymentId;
      payment.status = nextPaymentStatus(payment.status, created.status);
      payment.providerStatus = created.providerStatus;
      payment.checkoutUrl = created.checkoutUrl;
      payment.expiresAt = created.expiresAt ? new Date(created.expiresAt) : null;
      payment.providerStateUnknown = false;
      const events: EventType[] = ['payment.created'];
      if (payment.status !== 'pending') events.push(`payment.${payment.status}` as EventType);
      return events;
    }, row, lease);
    return result?.row ?? null;
  }

  /**
   * PAYMENTS_FAILOVER applies to a payment the routing chose, and only when the first provider was not reached at
   * all (connection refused, circuit open): a refusal of the request would be refused elsewhere too, and a timeout
   * or 5xx may have created a payment there.
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
   * For an Idempotency-Key taken over from an instance that died: the payment created under it, adopted from the
   * provider if the create's outcome was never recorded, else the unknown-outcome error naming it. Null when the
   * payment is gone (the provider certainly did nothing), so the request may run again.
   */
  async recoverCreated(id: string): Promise<PaymentEntity | null> {
    const row = await this.payments.findById(id);
    if (!row) return null;
    if (row.providerPaymentId || !row.providerStateUnknown) return row;
    const adopted = await this.adoptFromProvider(row).catch((error: Error) => {
      this.logger.warn(`payment ${id}: could not look for it at ${row.provider} (${error.message})`);
      return null;
    });
    if (adopted) return adopted;
    throw unknownOutcomeError('payment', id);
  }

  // ---- the client's changes -------------------------------------------------------------------------------------

  /**
   * Description and amount live at the provider; metadata is the gateway's own. Under the payment's lease: the
   * provider is re-read first (a payment already paid answers 409 and keeps the amount paid), then updated, then
   * re-read again (paid meanwhile: 409, and the payment is succeeded with the amount paid, not this one).
   */
  async update(id: string, changes: PaymentChanges): Promise<PaymentEntity> {
    return this.lease.run('payments', id, async () => {
      // The missing capability wins over the payment's state: a provider that cannot update never can, whatever the status.
      const atProvider = changes.description !== undefined || changes.amount !== undefined;
      if (atProvider) requireCapability(this.providerOf(await this.findOrThrow(id)), 'payments.update');
      let row = await this.mutableRow(id, 'updated');
      if (atProvider) {
        const provider = requireCapability(this.providerOf(row), 'payments.update');
        const providerPaymentId = this.providerIdOf(row);
        row = await this.recheckAtProvider(row, 'updated');
        await provider.updatePayment(providerPaymentId, { description: changes.description, amount: changes.amount, currency: row.currency });
        await this.recheckAtProvider(row, 'updated', { afterCall: true });
      }
      let lost: PaymentStatus | null = null;
      const updated = await this.changePayment(id, (payment) => {
        if (!isPaymentMutable(payment.status)) {
          lost = payment.status;
          return null;
        }
        payment.description = changes.description ?? payment.description;
        payment.amount = changes.amount ?? payment.amount;
        payment.metadata = changes.metadata ?? payment.metadata;
        return ['payment.updated'];
      });
      if (lost) throw notMutable(lost, 'updated');
      return updated!.row;
    });
  }

  /**
   * Under the payment's lease: the provider's transactions are checked first (a paid one answers 409), then the
   * provider cancels. A payment the payer paid in between is never left cancelled: the re-check after the call,
   * a notification or reconciliation moves it to `succeeded`, with an event saying it was paid after cancellation.
   */
  async cancel(id: string): Promise<PaymentEntity> {
    return this.lease.run('payments', id, async () => {
      let row = await this.findOrThrow(id);
      // The missing capability wins over the payment's state (even an already cancelled one).
      const provider = requireCapability(this.providerOf(row), 'payments.cancel');
      if (row.status === 'cancelled') return row;
      row = await this.mutableRow(id, 'cancelled');
      const providerPaymentId = this.providerIdOf(row);
      row = await this.recheckAtProvider(row, 'cancelled');
      await provider.cancelPayment(providerPaymentId);
      let lost: PaymentStatus | null = null;
      const cancelled = await this.changePayment(id, (payment) => {
        if (nextPaymentStatus(payment.status, 'cancelled') !== 'cancelled') {
          lost = payment.status;
          return null;
        }
        payment.status = 'cancelled';
        payment.providerStatus = 'deleted';
        return ['payment.cancelled'];
      });
      if (lost) throw notMutable(lost, 'cancelled');
      return cancelled!.row;
    });
  }

  async setArchived(id: string, archived: boolean): Promise<PaymentEntity> {
    return this.lease.run('payments', id, async () => {
      const row = await this.findOrThrow(id);
      const provider = requireCapability(this.providerOf(row), 'payments.archive');
      if (row.archived === archived) return row;
      if (row.status === 'cancelled') {
        // A cancel may delete the payment at its provider; the archive flag of a cancelled one is the gateway's alone.
      } else if (archived) {
        await provider.archivePayment!(this.providerIdOf(row));
      } else {
        await provider.unarchivePayment!(this.providerIdOf(row));
      }
      const changed = await this.changePayment(id, (payment) => {
        if (payment.archived === archived) return null;
        payment.archived = archived;
        return [archived ? 'payment.archived' : 'payment.unarchived'];
      });
      return changed!.row;
    });
  }

  /** The provider's attempts to collect the payment, stored as seen. */
  async transactions(row: PaymentEntity): Promise<Transaction[]> {
    const provider = requireCapability(this.providerOf(row), 'payments.transactions');
    const transactions = await provider.listTransactions!(this.providerIdOf(row), row.currency);
    const seenAt = new Date();
    await this.payments.upsertTransactions(transactions.map((tx) => transactionRow(row.id, tx, seenAt)));
    return transactions;
  }

  private async mutableRow(id: string, verb: string): Promise<PaymentEntity> {
    const row = await this.findOrThrow(id);
    if (!isPaymentMutable(row.status)) throw notMutable(row.status, verb);
    return row;
  }

  /**
   * Re-reads the payment at its provider and applies what it says; 409 if it is no longer pending (paid, failed,
   * expired). After the provider call a failed re-read is not fatal: the provider acted, so the change is recorded
   * and a notification or reconciliation brings any payment in between.
   */
  private async recheckAtProvider(row: PaymentEntity, verb: string, options: { afterCall?: boolean } = {}): Promise<PaymentEntity> {
    let current: PaymentEntity | null;
    try {
      current = await this.refreshPayment(row.id);
    } catch (error) {
      if (!options.afterCall) throw error;
      this.logger.warn(`payment ${row.id}: could not re-read it after it was ${verb} (${(error as Error).message})`);
      return row;
    }
    if (!current) throw ApiError.notFound('Payment');
    if (!isPaymentMutable(current.status)) throw notMutable(current.status, verb, options.afterCall);
    return current;
  }

  // ---- what providers report ------------------------------------------------------------------------------------

  /**
   * Lets `change` edit the payment and name the events it causes, and commits the row with those events.
   * `change` returning null leaves the row untouched.
   *
   * With `known`, a row the caller has just read, the change is first applied to a copy of it and written in
   * one statement that only matches while the stored row still has that version. If it no longer does, or
   * `change` returns null, the locked path decides on the current row: it locks the row, applies `change` again
   * and commits in one transaction. `change` must therefore only edit the row it is given.
   *
   * With `lease` (held by the caller), the one statement also requires that lease and gives it back.
   */
  async changePayment(
    id: string,
    change: (row: PaymentEntity) => LifecycleEvent[] | null,
    known?: PaymentEntity,
    lease?: HeldLease,
  ): Promise<{ row: PaymentEntity; events: LifecycleEvent[] } | null> {
    if (known) {
      const row = { ...known };
      const events = change(row);
      if (events !== null) {
        this.bump(row);
        const written = await this.outbox.writeChange(this.payments.updateIfVersion(row, known.version, lease?.token), this.paymentEvents(row, events));
        if (written) {
          lease?.givenBack();
          return { row, events };
        }
      }
    }
    return this.outbox.transact(async (tx) => {
      const row = await this.payments.lockById(tx.manager, id);
      if (!row) return null;
      const events = change(row);
      if (events === null) return { row, events: [] };
      this.bump(row);
      await this.payments.save(row, tx.manager);
      for (const event of this.paymentEvents(row, events)) await tx.emit(event);
      return { row, events };
    });
  }

  private bump(row: { version: number; updatedAt: Date }): void {
    row.version += 1;
    row.updatedAt = new Date();
  }

  private paymentEvents(row: PaymentEntity, events: LifecycleEvent[]): EmitInput[] {
    const data = presentPayment(row) as unknown as Record<string, unknown>;
    return events.map((event) =>
      typeof event === 'string'
        ? { type: event, ownerId: row.ownerId, resourceId: row.id, version: row.version, data }
        : { type: event.type, ownerId: row.ownerId, resourceId: row.id, version: row.version, data: { ...data, ...event.data } },
    );
  }

  /**
   * Stores what the provider reported; emits the status event when the status changed. A payment that becomes
   * `succeeded` keeps the amount the payer paid when the provider reports it (a later update of the payment at
   * the provider does not change what was paid); one that was cancelled says so in its event, so its owner can
   * refund.
   */
  async applyProviderPayment(id: string, reported: ProviderPayment): Promise<PaymentEntity | null> {
    const result = await this.changePayment(id, (row) => {
      const before = { status: row.status, providerStatus: row.providerStatus, checkoutUrl: row.checkoutUrl };
      row.providerPaymentId ??= reported.providerPaymentId;
      row.status = nextPaymentStatus(row.status, reported.status);
      row.providerStatus = reported.providerStatus;
      row.checkoutUrl = reported.checkoutUrl ?? row.checkoutUrl;
      row.expiresAt = reported.expiresAt ? new Date(reported.expiresAt) : row.expiresAt;
      row.lastCheckedAt = new Date();
      if (row.status === before.status) {
        return row.providerStatus !== before.providerStatus || row.checkoutUrl !== before.checkoutUrl ? [] : null;
      }
      if (row.status === 'succeeded' && reported.paidAmount != null) row.amount = reported.paidAmount;
      const statusEvent = PAYMENT_STATUS_EVENTS[row.status];
      if (!statusEvent) return [];
      if (row.status === 'succeeded' && before.status === 'cancelled') {
        this.logger.warn(`payment ${row.id}: paid after it was cancelled; its owner should refund`);
        return [{ type: statusEvent, data: { paidAfterCancellation: true } }];
      }
      return [statusEvent];
    });
    if (result && result.events.length === 0) await this.payments.markChecked(id);
    return result?.row ?? null;
  }

  /**
   * Re-reads a payment from its provider and applies it. `evidence`, from a verified signed notification, decides
   * only when the provider no longer has the payment (a provider whose cancel deletes it): a signed report of a
   * successful transaction is then the proof that money moved.
   */
  async refreshPayment(id: string, evidence?: SignedPaymentEvidence): Promise<PaymentEntity | null> {
    const row = await this.payments.findById(id);
    if (!row) return null;
    if (!row.providerPaymentId) return row.providerStateUnknown ? this.resolveUnknownPayment(row) : row;
    const provider = requireCapability(this.providers.get(row.provider), 'payments.read');
    let reported: ProviderPayment;
    try {
      reported = await provider.getPayment(row.providerPaymentId);
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'not_found') {
        if (evidence?.succeeded) {
          return this.applyProviderPayment(id, {
            providerPaymentId: row.providerPaymentId,
            amount: evidence.amount ?? row.amount,
            currency: row.currency,
            description: row.description,
            status: 'succeeded',
            providerStatus: 'paid_signed_notification',
            checkoutUrl: null,
            reference: row.id,
            expiresAt: null,
            paidAmount: evidence.amount,
          });
        }
        // A payment cancelled through the gateway may be gone at the provider: keep ours.
        if (row.status === 'cancelled') return row;
      }
      throw error;
    }
    return this.applyProviderPayment(id, reported);
  }

  /** Finds a payment whose create outcome was unknown at its provider, by our id as its reference, and adopts it. */
  private async adoptFromProvider(row: PaymentEntity): Promise<PaymentEntity | null> {
    const provider = requireCapability(this.providers.get(row.provider), 'payments.list');
    const found = (await provider.listPayments!()).find((payment) => payment.reference === row.id);
    if (!found) return null;
    await this.changePayment(row.id, (payment) => {
      if (payment.providerPaymentId) return null;
      payment.providerPaymentId = found.providerPaymentId;
      payment.checkoutUrl = found.checkoutUrl;
      payment.providerStateUnknown = false;
      return ['payment.created'];
    });
    return this.refreshPayment(row.id);
  }

  /**
   * A create whose outcome was unknown (timeout, 5xx, reset) left a pending row without a provider id. The
   * provider holds our id as its reference (each adapter sends it in the provider's reference field), so listing and
   * matching finds the payment if it was made: it is adopted. If it is still not there once the bounded wait
   * (PAYMENTS_UNKNOWN_FAIL_AFTER_MS) has passed, the provider never made it, and the payment fails.
   */
  async resolveUnknownPayment(row: PaymentEntity, now = new Date()): Promise<PaymentEntity | null> {
    // A create still in flight must not be judged: wait out at least one provider timeout.
    if (now.getTime() - row.createdAt.getTime() < this.config.providerTimeoutMs + 1000) return row;
    const adopted = await this.adoptFromProvider(row);
    if (adopted) return adopted;
    if (now.getTime() - row.createdAt.getTime() < this.config.payments.unknownOutcomeFailAfterMs) {
      await this.payments.markChecked(row.id);
      return row;
    }
    const result = await this.changePayment(row.id, (payment) => {
      if (payment.providerPaymentId || payment.status !== 'pending') return null;
      payment.status = 'failed';
      payment.providerStatus = 'not_created';
      payment.providerStateUnknown = false;
      return ['payment.failed'];
    });
    return result?.row ?? null;
  }

  /** A pending payment past its expiry becomes `expired` (when its provider reports `expiresAt`). */
  async expirePayment(id: string, now = new Date()): Promise<PaymentEntity | null> {
    const result = await this.changePayment(id, (row) => {
      if (row.status !== 'pending' || !row.expiresAt || row.expiresAt > now) return null;
      row.status = 'expired';
      return ['payment.expired'];
    });
    return result?.row ?? null;
  }

  private async findOrThrow(id: string): Promise<PaymentEntity> {
    const row = await this.payments.findById(id);
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
}

function notMutable(status: PaymentStatus, verb: string, raced = false): ApiError {
  const why = raced ? ` (it became ${status} while it was being ${verb}; the gateway keeps what the payer paid)` : '';
  return ApiError.conflict('invalid_state', `A ${status} payment cannot be ${verb}${why}`);
}
