import { Module } from '@nestjs/common';
import { ProvidersModule } from '@app/providers';
import { CreatedResourceRecovery } from './created-resource.recovery';
import { LifecycleStore } from './lifecycle.store';
import { PaymentLifecycleService } from './payment-lifecycle.service';
import { PayoutLifecycleService } from './payout-lifecycle.service';
import { ResourceLease } from './resource-lease';

/** Expects the persistence and outbox modules to be global. */
@Module({
  imports: [ProvidersModule],
  providers: [LifecycleStore, ResourceLease, PaymentLifecycleService, PayoutLifecycleService, CreatedResourceRecovery],
  exports: [PaymentLifecycleService, PayoutLifecycleService, CreatedResourceRecovery],
})
export class LifecycleModule {}
