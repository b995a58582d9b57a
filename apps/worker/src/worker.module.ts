import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import { PersistenceModule } from '@app/persistence';
import { ProvidersModule } from '@app/providers';

@Global()
@Module({})
class WorkerConfigModule {
  static with(config: AppConfig): DynamicModule {
    return { module: WorkerConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}

/**
 * The worker loads the same libraries as the gateway and differs only in what it starts: queue processors, the
 * outbox relay and reconciliation. Until the webhook fan-out lands it only holds its connections open.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: WorkerModule, imports: [WorkerConfigModule.with(config), PersistenceModule.forRoot(), ProvidersModule] };
  }
}
