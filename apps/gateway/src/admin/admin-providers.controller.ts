import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '@app/auth';
import { ProviderRegistry } from '@app/providers';
import { ApiKeyAuth } from '../http/openapi/api-errors.decorator';
import { AdminProviderListSchema } from '../http/openapi/admin.schema';
import { RoutingService } from './routing.service';

/** Operators' view of each provider: what it can do, whether it is configured, its circuit, errors and latency. */
@ApiTags('operations')
@ApiKeyAuth()
@Controller('admin/providers')
@RequireScopes('admin')
export class AdminProvidersController {
  constructor(
    private readonly providers: ProviderRegistry,
    private readonly routing: RoutingService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Per provider: capabilities, configured, circuit state, recent error rate and latency (admin)' })
  @ApiOkResponse({ type: AdminProviderListSchema })
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
