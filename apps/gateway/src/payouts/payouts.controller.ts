import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { CurrentPrincipal, Principal, RequireScopes } from '@app/auth';
import { PROVIDER_NAMES, ProviderName } from '@app/payments';
import { ApiBodyErrors, ApiErrors, ApiIdempotent, ApiKeyAuth, ApiProviderErrors } from '../http/openapi/api-errors.decorator';
import { BeneficiaryListSchema, PayoutPageSchema, PayoutSchema } from '../http/openapi/payments.schema';
import { PageQuery } from '../payments/dto/list-payments.query';
import { CreatePayoutDto } from './dto/create-payout.dto';
import { PayoutsService } from './payouts.service';

export class BeneficiariesQuery {
  @ApiPropertyOptional({ enum: [...PROVIDER_NAMES], description: 'Else the first provider that lists beneficiaries' })
  @IsOptional() @IsIn(PROVIDER_NAMES) provider?: ProviderName;
}

@ApiTags('payouts')
@ApiKeyAuth()
@Controller('v1/payouts')
export class PayoutsController {
  constructor(private readonly payouts: PayoutsService) {}

  @Post()
  @RequireScopes('payouts:write')
  @ApiOperation({ summary: 'Pay out to a beneficiary or a bank account (scope payouts:write; providers with payouts.create)' })
  @ApiCreatedResponse({ type: PayoutSchema })
  @ApiIdempotent()
  @ApiBodyErrors()
  @ApiProviderErrors()
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreatePayoutDto) {
    return this.payouts.create(principal, body);
  }

  @Get()
  @RequireScopes('payouts:read')
  @ApiOperation({ summary: 'List payouts, newest first (scope payouts:read)' })
  @ApiOkResponse({ type: PayoutPageSchema })
  @ApiErrors(422)
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQuery) {
    return this.payouts.list(principal, query.limit, query.cursor);
  }

  @Get(':id')
  @RequireScopes('payouts:read')
  @ApiOperation({ summary: 'Read a payout (scope payouts:read)' })
  @ApiOkResponse({ type: PayoutSchema })
  @ApiErrors(404)
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payouts.get(principal, id);
  }

  @Post(':id/refresh')
  @HttpCode(200)
  @RequireScopes('payouts:read')
  @ApiOperation({ summary: 'Re-read the payout from its provider now (scope payouts:read)' })
  @ApiOkResponse({ type: PayoutSchema })
  @ApiIdempotent()
  @ApiErrors(404, 409, 422)
  @ApiProviderErrors()
  refresh(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payouts.refresh(principal, id);
  }
}

@ApiTags('payouts')
@ApiKeyAuth()
@Controller('v1/beneficiaries')
export class BeneficiariesController {
  constructor(private readonly payouts: PayoutsService) {}

  @Get()
  @RequireScopes('payouts:read')
  @ApiOperation({ summary: 'The provider account’s saved beneficiaries (scope payouts:read)' })
  @ApiOkResponse({ type: BeneficiaryListSchema })
  @ApiErrors(422)
  @ApiProviderErrors()
  list(@Query() query: BeneficiariesQuery) {
    return this.payouts.beneficiaries(query.provider);
  }
}
