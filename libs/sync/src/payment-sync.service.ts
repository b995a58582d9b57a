import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import {
  nextPaymentStatus,
  nextPayoutStatus,
  PaymentStatus,
  ProviderError,
  ProviderPayment,
  ProviderPayout,
  requireCapability,
} from '@app/payments';
import { PaymentEntity, PaymentRepository, PayoutEntity, PayoutRepository } from '@app/persistence';
import { ProviderRegistry } from '@app/providers';
import { EmitInput, EventType, OutboxService, OutboxTx } from '@app/outbox';
import { presentPayment, presentPayout } from './payment.presenter';

const PAYMENT_STATUS_EVENTS: Record<PaymentStatus, EventType | null> = {
  pending: null,
  succeeded: 'payment.succeeded',
  failed: 'payment.failed',
  cancelled: 'payment.cancelled',
  expired: 'payment.expired',
};

export type SyncOutcome = 'changed' | 'unchanged' | 'not_found';

/**
 * Every change of a payment or payout goes through here: the row is locked, changed, its version bumped and the
 * matching event recorded, all in one transaction (the outbox). The gateway (API calls, provider webhooks) and the
 * worker (reconciliation) share it, so the same change can never emit two events.
 */
@Injectable()
export class PaymentSyncService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outbox: OutboxService,
    private readonly payments: PaymentRepository,
    private readonly payouts: PayoutRepository,
    private readonly providers: ProviderRegistry,
  ) {}

  /**
   * Lets `change` edit the payment and name the events it causes, and commits the row with those events.
   * `change` returning null leaves the row untouched.
   *
   * With `known`, a row the caller has just read, the change is first applied to a copy of it and written in
   * one statement that only matches while the stored row still has that version. If it no longer does, or
   * `change` returns null, the locked path decides on the current row: it locks the row, applies `change` again
   * and commits in one transaction. `change` must therefore only edit the row it is given.
   */
  async changePayment(
    id: string,
    change: (row: PaymentEntity) => EventType[] | null,
    known?: PaymentEntity,
  ): Promise<{ row: PaymentEntity; events: EventType[] } | null> {
    if (known) {
      const row = { ...known };
      const events = change(row);
      if (events !== null) {
        this.bump(row);
        const written = await this.outbox.writeChange(this.payments.updateIfVersion(row, known.version), this.paymentEvents(row, events));
        if (written) return { row, events };
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

  private paymentEvents(row: PaymentEntity, types: EventType[]): EmitInput[] {
    const data = presentPayment(row) as unknown as Record<string, unknown>;
    return types.map((type) => ({ type, ownerId: row.ownerId, resourceId: row.id, version: row.version, data }));
  }

  /** Stores what the provider reported; emits the status event when the status changed. */
  async applyProviderPayment(id: string, reported: ProviderPayment): Promise<PaymentEntity | null> {
    const result = await this.changePayment(id, (row) => {
      const before = { status: row.status, providerStatus: row.providerStatus, checkoutUrl: row.checkoutUrl };
      row.providerPaymentId ??= reported.providerPaymentId;
      row.status = nextPaymentStatus(row.status, reported.status);
      row.providerStatus = reported.providerStatus;
      row.checkoutUrl = reported.checkoutUrl ?? row.checkoutUrl;
      row.expiresAt = reported.expiresAt ? new Date(reported.expiresAt) : row.expiresAt;
      row.lastCheckedAt = new Date();
      const statusEvent = row.status !== before.status ? PAYMENT_STATUS_EVENTS[row.status] : null;
      if (statusEvent) return [statusEvent];
      if (row.providerStatus !== before.providerStatus || row.checkoutUrl !== before.checkoutUrl) return [];
      return null;
    });
    if (result && result.events.length === 0) await this.payments.markChecked(id);
    return result?.row ?? null;
  }

  /** Re-reads a payment from its provider and applies it. */
  async refreshPayment(id: string): Promise<PaymentEntity | null> {
    const row = await this.payments.findById(id);
    if (!row) return null;
    if (!row.providerPaymentId) return row.providerStateUnknown ? this.resolveUnknownPayment(row) : row;
    const provider = requireCapability(this.providers.get(row.provider), 'payments.read');
    let reported: ProviderPayment;
    try {
      reported = await provider.getPayment(row.providerPaymentId);
    } catch (error) {
      // A payment cancelled through the gateway may be gone at the provider (FlexiQash deletes it): keep ours.
      if (error instanceof ProviderError && error.kind === 'not_found' && row.status === 'cancelled') return row;
      throw error;
    }
    return this.applyProviderPayment(id, reported);
  }

  /**
   * A create whose outcome was unknown (timeout, 5xx, reset) left a pending row without a provider id. The
   * provider holds our id as its reference (FlexiQash `payee.reference`, Flashpay `reference`), so listing and
   * matching finds the payment if it was made: it is adopted. If it is still not there once the bounded wait
   * (PAYMENTS_UNKNOWN_FAIL_AFTER_MS) has passed, the provider never made it, and the payment fails.
   */
  async resolveUnknownPayment(row: PaymentEntity, now = new Date()): Promise<PaymentEntity | null> {
    // A create still in flight must not be judged: wait out at least one provider timeout.
    if (now.getTime() - row.createdAt.getTime() < this.config.providerTimeoutMs + 1000) return row;
    const provider = requireCapability(this.providers.get(row.provider), 'payments.list');
    const found = (await provider.listPayments()).find((payment) => payment.reference === row.id);
    if (found) {
      await this.changePayment(row.id, (payment) => {
        if (payment.providerPaymentId) return null;
        payment.providerPaymentId = found.providerPaymentId;
        payment.checkoutUrl = found.checkoutUrl;
        payment.providerStateUnknown = false;
        return ['payment.created'];
      });
      return this.refreshPayment(row.id);
    }
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

  /** A pending payment past its expiry becomes `expired` (Flashpay payment requests carry `expiresAt`). */
  async expirePayment(id: string, now = new Date()): Promise<PaymentEntity | null> {
    const result = await this.changePayment(id, (row) => {
      if (row.status !== 'pending' || !row.expiresAt || row.expiresAt > now) return null;
      row.status = 'expired';
      return ['payment.expired'];
    });
    return result?.row ?? null;
  }

  async changePayout(
    id: string,
    change: (row: PayoutEntity, tx: OutboxTx) => Promise<EventType[] | null> | EventType[] | null,
  ): Promise<PayoutEntity | null> {
    return this.outbox.transact(async (tx) => {
      const row = await this.payouts.lockById(tx.manager, id);
      if (!row) return null;
      const events = await change(row, tx);
      if (events === null) return row;
      row.version += 1;
      row.updatedAt = new Date();
      await this.payouts.save(row, tx.manager);
      const data = presentPayout(row) as unknown as Record<string, unknown>;
      for (const type of events) await tx.emit({ type, ownerId: row.ownerId, resourceId: row.id, version: row.version, data });
      return row;
    });
  }

  async applyProviderPayout(id: string, reported: ProviderPayout): Promise<PayoutEntity | null> {
    const row = await this.changePayout(id, (payout) => {
      const before = { status: payout.status, providerStatus: payout.providerStatus };
      payout.providerPayoutId ??= reported.providerPayoutId;
      payout.status = nextPayoutStatus(payout.status, reported.status);
      payout.providerStatus = reported.providerStatus;
      payout.destination = reported.destination ?? payout.destination;
      payout.lastCheckedAt = new Date();
      if (payout.status !== before.status) return payout.status === 'succeeded' ? ['payout.succeeded'] : payout.status === 'failed' ? ['payout.failed'] : [];
      return payout.providerStatus !== before.providerStatus ? [] : null;
    });
    if (row) await this.payouts.markChecked(id);
    return row;
  }

  async refreshPayout(id: string): Promise<PayoutEntity | null> {
    const row = await this.payouts.findById(id);
    if (!row || !row.providerPayoutId) return row;
    const provider = requireCapability(this.providers.get(row.provider), 'payouts.read');
    return this.applyProviderPayout(id, await provider.getPayout(row.providerPayoutId));
  }

}
