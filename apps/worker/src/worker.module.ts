import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import { OutboxModule } from '@app/outbox';
import { PersistenceModule } from '@app/persistence';
import { ProvidersModule } from '@app/providers';
import { LifecycleModule } from '@app/lifecycle';
import { DeliverySweep } from './delivery/delivery-sweep';
import { DeliveryProcessor } from './delivery/delivery.processor';
import { DeliveryRepository } from './delivery/delivery.repository';
import { WebhookClient } from './delivery/webhook.client';
import { Reconciler } from './reconcile/reconciler';
import { RedisLock } from './redis-lock';
import { RetentionRepository } from './retention/retention.repository';
import { RetentionService } from './retention/retention.service';
import { SecretResealService } from './secrets/secret-reseal.service';

@Global()
@Module({})
class WorkerConfigModule {
  static with(config: AppConfig): DynamicModule {
    return { module: WorkerConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}

/**
 * The worker loads the same libraries as the gateway and differs only in what it starts: the webhook delivery
 * processor, the sweep that re-enqueues deliveries Redis lost, reconciliation of pending payments and payouts,
 * retention (old rows deleted in batches) and the re-sealing of endpoint secrets after a key rotation.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [WorkerConfigModule.with(config), PersistenceModule.forRoot(), ProvidersModule, OutboxModule, LifecycleModule],
      providers: [RedisLock, WebhookClient, DeliveryRepository, DeliveryProcessor, DeliverySweep, Reconciler, RetentionRepository, RetentionService, SecretResealService],
    };
  }
}
