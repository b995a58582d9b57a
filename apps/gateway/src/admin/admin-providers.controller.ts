import { Controller, Get } from '@nestjs/common';
import { RequireScopes } from '@app/auth';
import { ProviderRegistry } from '@app/providers';
import { RoutingService } from './routing.service';

/** Operators' view of each provider: what it can do, whether it is configured, its circuit, errors and latency. */
@Controller('admin/providers')
@RequireScopes('admin')
export class AdminProvidersController {
  constructor(
    private readonly providers: ProviderRegistry,
    private readonly routing: RoutingService,
  ) {}

  @Get()
  async list() {
    const { table } = await this.routing.current();
    return {
      data: this.providers.all().map((provider) => {
        const health = provider.health();
        return {
          name: provider.name,
          configured: provider.configured,
          default: provider.name === table.defaultProvider,
          currencies: [...provider.currencies],
          capabilities: [...provider.capabilities],
          circuit: health.circuit,
          recent: health.recent,
        };
      }),
    };
  }
}
