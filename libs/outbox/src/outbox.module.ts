import { Global, Module } from '@nestjs/common';
import { DeliveryRelay } from './delivery-relay';
import { OutboxService } from './outbox.service';

/** Expects APP_CONFIG and TypeORM (PersistenceModule) to be provided globally. */
@Global()
@Module({ providers: [DeliveryRelay, OutboxService], exports: [DeliveryRelay, OutboxService] })
export class OutboxModule {}
