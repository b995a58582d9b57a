import { Injectable } from '@nestjs/common';
import type { Payment, Payout } from '@app/payments';
import { presentPayment, presentPayout } from './payment.presenter';
import { PaymentLifecycleService } from './payment-lifecycle.service';
import { PayoutLifecycleService } from './payout-lifecycle.service';

/**
 * What an Idempotency-Key taken over from a dead instance answers: the payment or payout created under it (as
 * the create would have answered), the unknown-outcome error naming it (thrown), or null when nothing was
 * created, so the request runs again.
 */
@Injectable()
export class CreatedResourceRecovery {
  constructor(
    private readonly payments: PaymentLifecycleService,
    private readonly payouts: PayoutLifecycleService,
  ) {}

  async recover(resourceId: string): Promise<Payment | Payout | null> {
    if (resourceId.startsWith('pay_')) {
      const row = await this.payments.recoverCreated(resourceId);
      return row ? presentPayment(row) : null;
    }
    if (resourceId.startsWith('po_')) {
      const row = await this.payouts.recoverCreated(resourceId);
      return row ? presentPayout(row) : null;
    }
    return null;
  }
}
