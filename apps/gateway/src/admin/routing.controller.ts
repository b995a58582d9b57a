import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsObject } from 'class-validator';
import { ApiError } from '@app/common';
import { CurrentPrincipal, Principal, RequireScopes } from '@app/auth';
import { isKnownCurrency, isProviderName, PROVIDER_NAMES, ProviderName } from '@app/payments';
import { ApiBodyErrors, ApiKeyAuth } from '../http/openapi/api-errors.decorator';
import { RoutingSchema } from '../http/openapi/admin.schema';
import { RoutingService } from './routing.service';

export class RoutingDto {
  @ApiProperty({ enum: [...PROVIDER_NAMES], example: 'flashpay' })
  @IsIn(PROVIDER_NAMES) defaultProvider: ProviderName;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', enum: [...PROVIDER_NAMES] },
    maxProperties: 200,
    example: { NGN: 'flashpay' },
    description: 'Currency (ISO 4217) to provider; each provider must take that currency and create payments',
  })
  @IsObject() currencyRoutes: Record<string, ProviderName>;
}

@ApiTags('operations')
@ApiKeyAuth()
@Controller('admin/routing')
@RequireScopes('admin')
export class RoutingController {
  constructor(private readonly routing: RoutingService) {}

  @Get()
  @ApiOperation({ summary: 'The routing in effect and where it comes from (admin)' })
  @ApiOkResponse({ type: RoutingSchema })
  async get() {
    const { table, source } = await this.routing.current();
    return { ...table, source };
  }

  @Put()
  @ApiOperation({ summary: 'Store a new routing; every instance uses it within a second, without a restart (admin)' })
  @ApiOkResponse({ type: RoutingSchema })
  @ApiBodyErrors()
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
