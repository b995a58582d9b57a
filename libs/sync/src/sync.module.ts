import { Module } from '@nestjs/common';
import { ProvidersModule } from '@app/providers';
import { PaymentSyncService } from './payment-sync.service';

/** Expects the persistence and outbox modules to be global. */
@Module({ imports: [ProvidersModule], providers: [PaymentSyncService], exports: [PaymentSyncService] })
export class SyncModule {}
