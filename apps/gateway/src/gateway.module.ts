import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '@app/common';
import { AuthModule } from '@app/auth';
import { PersistenceModule } from '@app/persistence';
import { ProvidersModule } from '@app/providers';
import { OutboxModule } from '@app/outbox';
import { SyncModule } from '@app/sync';
import { AdminProvidersController } from './admin/admin-providers.controller';
import { RoutingController } from './admin/routing.controller';
import { RoutingService } from './admin/routing.service';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { HealthController } from './health/health.controller';
import { IdempotencyInterceptor } from './http/idempotency.interceptor';
import { RateLimitInterceptor } from './http/rate-limit.interceptor';
import { RedisCloser, redisProvider } from './health/redis.provider';
import { PaymentsController } from './payments/payments.controller';
import { PaymentsService } from './payments/payments.service';
import { BeneficiariesController, PayoutsController } from './payouts/payouts.controller';
import { PayoutsService } from './payouts/payouts.service';
import { ProvidersController } from './providers/providers.controller';
import { InboundWebhooksController } from './webhooks/inbound-webhooks.controller';
import { InboundWebhooksService } from './webhooks/inbound-webhooks.service';
import { EventsController, WebhookEndpointsController } from './webhooks/webhook-endpoints.controller';
import { WebhookEndpointsService } from './webhooks/webhook-endpoints.service';

@Global()
@Module({})
class ConfigHolderModule {
  static with(config: AppConfig): DynamicModule {
    return { module: ConfigHolderModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}

@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [ConfigHolderModule.with(config), PersistenceModule.forRoot(), ProvidersModule, OutboxModule, SyncModule, AuthModule],
      controllers: [
        PaymentsController,
        PayoutsController,
        BeneficiariesController,
        ProvidersController,
        ApiKeysController,
        RoutingController,
        AdminProvidersController,
        HealthController,
        InboundWebhooksController,
        WebhookEndpointsController,
        EventsController,
      ],
      providers: [
        PaymentsService,
        PayoutsService,
        RoutingService,
        InboundWebhooksService,
        WebhookEndpointsService,
        redisProvider,
        RedisCloser,
        // Order matters: a rate-limited request must not claim an idempotency key.
        { provide: APP_INTERCEPTOR, useClass: RateLimitInterceptor },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}
