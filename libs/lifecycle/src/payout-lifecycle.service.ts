import { Injectable, Logger } from '@nestjs/common';
import { ApiError, newId } from '@app/common';
import { BankDestination, CreateProviderPayoutInput, nextPayoutStatus, PaymentProvider, ProviderPayout, requireCapability } from '@app/payments';
import { PayoutEntity, PayoutRepository } from '@app/persistence';
import { ProviderRegistry } from '@app/providers';
import { EmitInput, EventType, OutboxService, OutboxTx } from '@app/outbox';
import { confirmationFailedError, createOutcomeOf, unknownOutcomeError } from './create-protocol';
import { currentIdempotencyKey } from './idempotency-scope';
import { LifecycleStore } from './lifecycle.store';
import { presentPayout } from './payment.presenter';
import { HeldLease, ResourceLease } from './resource-lease';

/** What the provider is sent (less the gateway's id, which the row gets first), and who asks where. */
export interface NewPayout extends Omit<CreateProviderPayoutInput, 'gatewayPayoutId'> {
  ownerId: string;
  provider: PaymentProvider;
}

export type PayoutResolution = { outcome: 'paid'; providerPayoutId: string; note?: string } | { outcome: 'failed'; note?: string };

/**
 * The only writer of payouts and their events, with the same create protocol as payments: the row first (its
 * reference unique per API key), the provider call, the outcome classified by ProviderError.createOutcome, the
 * confirmation with its events. A payout whose outcome is unknown stays flagged, is answered with its id, and is
 * resolved by reconciliation once it has a provider id, or by an operator (audited) when it has none.
 */
@Injectable()
export class PayoutLifecycleService {
  private readonly logger = new Logger(PayoutLifecycleService.name);

  constructor(
    private readonly outbox: OutboxService,
    private readonly payouts: PayoutRepository,
    private readonly providers: ProviderRegistry,
    private readonly store: LifecycleStore,
    private readonly lease: ResourceLease,
  ) {}

  async create(input: NewPayout): Promise<PayoutEntity> {
    const provider = requireCapability(input.provider, 'payouts.create');
    const now = new Date();
    const row: PayoutEntity = {
      id: newId('po'),
      ownerId: input.ownerId,
      provider: provider.name,
      providerPayoutId: null,
      amount: input.amount,
      currency: input.currency,
      status: 'pending',
      providerStatus: null,
      beneficiaryId: input.beneficiaryId,
      destination: input.destination,
      reference: input.reference,
      referenceKey: input.reference,
      description: input.description,
      providerStateUnknown: true,
      version: 0,
      lastCheckedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    // Born leased, as a payment: the INSERT takes the lease and the confirmation gives it back (two commits).
    const token = this.lease.newToken();
    await this.insertUniqueReference(row, token);
    const scope = currentIdempotencyKey();
    if (scope) await this.store.linkIdempotencyKey(scope, row.id);

    return this.lease.runHeld('payouts', row.id, token, async (lease) => {
      let created: ProviderPayout;
      try {
        created = await provider.createPayout!({
          gatewayPayoutId: row.id,
          amount: row.amount,
          currency: row.currency,
          beneficiaryId: row.beneficiaryId,
          destination: row.destination,
          reference: row.reference,
          description: row.description,
        });
      } catch (error) {
        if (createOutcomeOf(error) === 'nothing') {
          await this.payouts.delete(row.id);
          await this.store.unlinkIdempotencyKeys(row.id);
          throw error;
        }
        this.logger.warn(`payout ${row.id}: outcome at ${row.provider} unknown (${(error as Error).message}); listed for operators until resolved`);
        throw unknownOutcomeError('payout', row.id, error);
      }
      try {
        return (await this.confirmCreated(row, created, lease)) ?? row;
      } catch (error) {
        this.logger.error(`payout ${row.id}: created at ${provider.name} as ${created.providerPayoutId} but not recorded (${(error as Error).message})`);
        throw confirmationFailedError('payout', row.id);
      }
    });
  }

  /** A second payout with the same reference under one API key answers 409 naming the first. */
  private async insertUniqueReference(row: PayoutEntity, leaseToken: string): Promise<void> {
    try {
      await this.payouts.insertLeased(row, leaseToken, this.lease.ttlMs);
    } catch (error) {
      const pg = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
      const code = pg.code ?? pg.driverError?.code;
      const constraint = pg.constraint ?? pg.driverError?.constraint;
      if (code !== '23505' || constraint !== 'payouts_owner_reference_key' || row.reference === null) throw error;
      const first = await this.store.payoutByReference(row.ownerId, row.reference);
      throw new ApiError(409, 'conflict', 'duplicate_reference', `A payout with reference ${JSON.stringify(row.reference)} already exists: ${first}`, {
        payoutId: first,
      });
    }
  }

  /**
   * `inserted` is the payout as inserted; while the lease is held nothing else changes it, so the confirmation is
   * one statement conditioned on its version that also gives the lease back. Should the row have changed anyway,
   * the locked path decides on the current row.
   */
  private async confirmCreated(inserted: PayoutEntity, created: ProviderPayout, lease: HeldLease): Promise<PayoutEntity | null> {
    const confirm = (payout: PayoutEntity): EventType[] => {
      payout.providerPayoutId = created.providerPayoutId;
      payout.status = nextPayoutStatus(payout.status, created.status);
      payout.providerStatus = created.providerStatus;
      payout.destination = created.destination ?? payout.destination;
      payout.providerStateUnknown = false;
      const events: EventType[] = ['payout.created'];
      if (payout.status !== 'pending') events.push(`payout.${payout.status}` as EventType);
      return events;
    };
    const row = { ...inserted };
    const events = confirm(row);
    bump(row);
    const written = await this.outbox.writeChange(this.payouts.updateIfVersion(row, inserted.version, lease.token), payoutEvents(row, events));
    if (written) {
      lease.givenBack();
      return row;
    }
    return this.changePayout(inserted.id, confirm);
  }

  /**
   * For an Idempotency-Key taken over from an instance that died: the payout created under it, or the
   * unknown-outcome error naming it (no provider lists payouts by our reference, so an operator resolves it).
   * Null when it is gone (the provider certainly did nothing).
   */
  async recoverCreated(id: string): Promise<PayoutEntity | null> {
    const row = await this.payouts.findById(id);
    if (!row) return null;
    if (row.providerPayoutId || !row.providerStateUnknown) return row;
    throw unknownOutcomeError('payout', id);
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
      bump(row);
      await this.payouts.save(row, tx.manager);
      for (const event of payoutEvents(row, events)) await tx.emit(event);
      return row;
    });
  }

  /** Stores what the provider reported; only the status changes the rules allow (pending → succeeded | failed). */
  async applyProviderPayout(id: string, reported: ProviderPayout): Promise<PayoutEntity | null> {
    const row = await this.changePayout(id, (payout) => {
      const before = { status: payout.status, providerStatus: payout.providerStatus };
      payout.providerPayoutId ??= reported.providerPayoutId;
      payout.status = nextPayoutStatus(payout.status, reported.status);
      payout.providerStatus = reported.providerStatus;
      payout.destination = reported.destination ?? payout.destination;
      payout.providerStateUnknown = false;
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
    return this.applyProviderPayout(id, await provider.getPayout!(row.providerPayoutId));
  }

  /** Payouts whose create outcome is unknown, oldest first (GET /admin/payouts?state=unknown). */
  async listUnknown(limit: number, after?: string): Promise<PayoutEntity[]> {
    return this.payouts.findUnknown(limit, after);
  }

  /**
   * An operator settles a payout whose outcome is unknown: with the provider's payout id (it was made; the
   * provider is then read for its status when it can be) or as failed (it was not). Audited in
   * payout_resolutions with who decided and why; a payout already known answers 409.
   */
  async resolve(id: string, operator: string, resolution: PayoutResolution): Promise<PayoutEntity> {
    return this.lease.run('payouts', id, async () => {
      let conflict: string | null = null;
      const resolved = await this.changePayout(id, async (payout, tx) => {
        if (!payout.providerStateUnknown || payout.providerPayoutId) {
          conflict = payout.providerPayoutId ?? payout.status;
          return null;
        }
        payout.providerStateUnknown = false;
        payout.lastCheckedAt = null;
        await this.store.recordPayoutResolution(tx.manager, {
          payoutId: payout.id,
          operator,
          outcome: resolution.outcome,
          providerPayoutId: resolution.outcome === 'paid' ? resolution.providerPayoutId : null,
          note: resolution.note ?? null,
        });
        if (resolution.outcome === 'paid') {
          payout.providerPayoutId = resolution.providerPayoutId;
          payout.providerStatus = 'resolved_by_operator';
          return ['payout.created'];
        }
        payout.status = 'failed';
        payout.providerStatus = 'not_created';
        return ['payout.failed'];
      });
      if (!resolved) throw ApiError.notFound('Payout');
      if (conflict) throw ApiError.conflict('invalid_state', `Payout ${id} has a known outcome (${conflict}); only an unknown one can be resolved`);
      if (resolution.outcome === 'paid' && this.providers.get(resolved.provider).capabilities.has('payouts.read')) {
        return (await this.refreshPayout(id).catch((error: Error) => {
          this.logger.warn(`payout ${id}: resolved, but reading it at ${resolved.provider} failed (${error.message}); reconciliation reads it`);
          return null;
        })) ?? resolved;
      }
      return resolved;
    });
  }
}

/** A changed payout's next version. */
function bump(row: PayoutEntity): void {
  row.version += 1;
  row.updatedAt = new Date();
}

/** The events of one payout change, each carrying the payout as it now is. */
function payoutEvents(row: PayoutEntity, types: EventType[]): EmitInput[] {
  const data = presentPayout(row) as unknown as Record<string, unknown>;
  return types.map((type) => ({ type, ownerId: row.ownerId, resourceId: row.id, version: row.version, data }));
}
