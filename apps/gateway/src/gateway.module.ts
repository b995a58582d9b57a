import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { APP_CONFIG, AppConfig } from '@app/common';
import { AuthModule } from '@app/auth';
import { PersistenceModule } from '@app/persistence';
import { ProvidersModule } from '@app/providers';
import { OutboxModule } from '@app/outbox';
import { LifecycleModule } from '@app/lifecycle';
import { AdminProvidersController } from './admin/admin-providers.controller';
import { PayoutsAdminController } from './admin/payouts-admin.controller';
import { RoutingController } from './admin/routing.controller';
import { RoutingService } from './admin/routing.service';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { HealthController } from './health/health.controller';
import { ProviderReachability } from './health/provider-reachability';
import { RedisHealthIndicator } from './health/redis.health';
import { idempotentPostRoutes, IdempotencyRunner } from './http/idempotency';
import { RequestGuard } from './http/request.guard';
import { RedisCloser, redisProvider } from './health/redis.provider';
import { MetricsController } from './ops/metrics.controller';
import { MetricsService } from './ops/metrics.service';
import { ROUTE_CATALOG, RouteCatalog } from './ops/route-catalog';
import { RoutesController } from './ops/routes.controller';
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

export interface GatewayRuntime {
  /** Filled by fastify's onRoute hook as routes are registered. */
  routes: RouteCatalog;
}

export const GATEWAY_CONTROLLERS = [
  PaymentsController,
  PayoutsController,
  BeneficiariesController,
  ProvidersController,
  ApiKeysController,
  RoutingController,
  PayoutsAdminController,
  AdminProvidersController,
  HealthController,
  InboundWebhooksController,
  WebhookEndpointsController,
  EventsController,
  MetricsController,
  RoutesController,
];

@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig, runtime: GatewayRuntime): DynamicModule {
    // Idempotency-Key is honoured on every POST (the handlers are wrapped); no route has a Nest interceptor.
    idempotentPostRoutes(GATEWAY_CONTROLLERS);
    return {
      module: GatewayModule,
      imports: [
        ConfigHolderModule.with(config),
        TerminusModule.forRoot({ errorLogStyle: 'json' }),
        PersistenceModule.forRoot(),
        ProvidersModule,
        OutboxModule,
        LifecycleModule,
        AuthModule,
      ],
      controllers: GATEWAY_CONTROLLERS,
      providers: [
        PaymentsService,
        PayoutsService,
        RoutingService,
        InboundWebhooksService,
        WebhookEndpointsService,
        redisProvider,
        RedisCloser,
        RedisHealthIndicator,
        ProviderReachability,
        MetricsService,
        IdempotencyRunner,
        { provide: ROUTE_CATALOG, useValue: runtime.routes },
        // Authentication, scopes, then the rate limit, before the handler: a refused request claims no
        // Idempotency-Key.
        { provide: APP_GUARD, useClass: RequestGuard },
      ],
    };
  }
}
