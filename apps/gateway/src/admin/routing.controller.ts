import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsObject, IsString, MaxLength } from 'class-validator';
import { ApiError } from '@app/common';
import { CurrentPrincipal, Principal, RequireScopes } from '@app/auth';
import { isKnownCurrency, ProviderName } from '@app/payments';
import { ProviderRegistry } from '@app/providers';
import { ApiBodyErrors, ApiKeyAuth } from '../http/openapi/api-errors.decorator';
import { RoutingSchema } from '../http/openapi/admin.schema';
import { RoutingService } from './routing.service';

export class RoutingDto {
  @ApiProperty({ description: 'A registered provider (GET /v1/providers)' })
  @IsString() @MaxLength(64) defaultProvider: ProviderName;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    maxProperties: 200,
    description: 'Currency (ISO 4217) to provider; each provider must take that currency and create payments',
  })
  @IsObject() currencyRoutes: Record<string, ProviderName>;
}

@ApiTags('operations')
@ApiKeyAuth()
@Controller('admin/routing')
@RequireScopes('admin')
export class RoutingController {
  constructor(
    private readonly routing: RoutingService,
    private readonly providers: ProviderRegistry,
  ) {}

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
    const known = (name: unknown) => typeof name === 'string' && this.providers.has(name);
    const problems = [
      ...(known(body.defaultProvider) ? [] : [{ field: 'defaultProvider', message: `defaultProvider must name a registered provider (${this.providers.names().join(', ')})` }]),
    ];
    problems.push(...entries.flatMap(([currency, provider]) => [
      ...(isKnownCurrency(currency) ? [] : [{ field: `currencyRoutes.${currency}`, message: `${currency} is not an ISO 4217 code` }]),
      ...(known(provider) ? [] : [{ field: `currencyRoutes.${currency}`, message: 'must name a known provider' }]),
    ]));
    if (entries.length > 200) problems.push({ field: 'currencyRoutes', message: 'at most 200 routes' });
    if (problems.length > 0) throw ApiError.invalid(problems[0].message, problems);
    const table = await this.routing.store({ defaultProvider: body.defaultProvider, currencyRoutes: body.currencyRoutes }, principal.keyId);
    return { ...table, source: 'stored' };
  }
}
