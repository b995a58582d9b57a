import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@app/common';
import { dataSourceOptions } from './data-source';
import { ApiKeyRepository } from './repositories/api-key.repository';
import { PaymentRepository } from './repositories/payment.repository';
import { PayoutRepository } from './repositories/payout.repository';
import { RoutingRepository } from './repositories/routing.repository';
import { WebhookRepository } from './repositories/webhook.repository';
import { IdempotencyRepository } from './repositories/idempotency.repository';

const REPOSITORIES = [ApiKeyRepository, PaymentRepository, PayoutRepository, RoutingRepository, WebhookRepository, IdempotencyRepository];

/** TypeORM over Postgres plus the repository classes services use; expects APP_CONFIG to be provided globally. */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({ ...dataSourceOptions(config.databaseUrl), retryAttempts: 3, retryDelay: 1000 }),
        }),
      ],
      providers: REPOSITORIES,
      exports: REPOSITORIES,
    };
  }
}
