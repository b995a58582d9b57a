import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProviderRegistry } from '@app/providers';
import { RoutingService } from '../admin/routing.service';
import { ApiKeyAuth } from '../http/openapi/api-errors.decorator';
import { ProviderInfoListSchema } from '../http/openapi/admin.schema';

@ApiTags('providers')
@ApiKeyAuth()
@Controller('v1/providers')
export class ProvidersController {
  constructor(
    private readonly providers: ProviderRegistry,
    private readonly routing: RoutingService,
  ) {}

  /** Any valid key may ask which providers exist and what they can do. */
  @Get()
  @ApiOperation({ summary: 'Which providers exist, what they can do, and which is the default (any key)' })
  @ApiOkResponse({ type: ProviderInfoListSchema })
  async list() {
    const { table } = await this.routing.current();
    // {data}, like every other list (it was a bare array until the contract's first revision).
    const data = this.providers.all().map((provider) => ({
      name: provider.name,
      default: provider.name === table.defaultProvider,
      currencies: [...provider.currencies],
      capabilities: [...provider.capabilities],
      configured: provider.configured,
    }));
    return { data };
  }
}
