import { Body, Controller, Get, Put } from '@nestjs/common';
import { IsIn, IsObject } from 'class-validator';
import { ApiError } from '@app/common';
import { CurrentPrincipal, Principal, RequireScopes } from '@app/auth';
import { isKnownCurrency, isProviderName, PROVIDER_NAMES, ProviderName } from '@app/payments';
import { RoutingService } from './routing.service';

export class RoutingDto {
  @IsIn(PROVIDER_NAMES) defaultProvider: ProviderName;
  @IsObject() currencyRoutes: Record<string, ProviderName>;
}

@Controller('admin/routing')
@RequireScopes('admin')
export class RoutingController {
  constructor(private readonly routing: RoutingService) {}

  @Get()
  async get() {
    const { table, source } = await this.routing.current();
    return { ...table, source };
  }

  @Put()
  async put(@CurrentPrincipal() principal: Principal, @Body() body: RoutingDto) {
    const entries = Object.entries(body.currencyRoutes);
    const problems = entries.flatMap(([currency, provider]) => [
      ...(isKnownCurrency(currency) ? [] : [{ field: `currencyRoutes.${currency}`, message: `${currency} is not an ISO 4217 code` }]),
      ...(isProviderName(provider) ? [] : [{ field: `currencyRoutes.${currency}`, message: 'must name a known provider' }]),
    ]);
    if (entries.length > 200) problems.push({ field: 'currencyRoutes', message: 'at most 200 routes' });
    if (problems.length > 0) throw ApiError.invalid(problems[0].message, problems);
    const table = await this.routing.store({ defaultProvider: body.defaultProvider, currencyRoutes: body.currencyRoutes }, principal.keyId);
    return { ...table, source: 'stored' };
  }
}
