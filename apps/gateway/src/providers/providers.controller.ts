import { Controller, Get } from '@nestjs/common';
import { ProviderRegistry } from '@app/providers';
import { RoutingService } from '../admin/routing.service';

@Controller('v1/providers')
export class ProvidersController {
  constructor(
    private readonly providers: ProviderRegistry,
    private readonly routing: RoutingService,
  ) {}

  /** Any valid key may ask which providers exist and what they can do. */
  @Get()
  async list() {
    const { table } = await this.routing.current();
    return this.providers.all().map((provider) => ({
      name: provider.name,
      default: provider.name === table.defaultProvider,
      currencies: [...provider.currencies],
      capabilities: [...provider.capabilities],
      configured: provider.configured,
    }));
  }
}
