import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { IsIn, IsOptional } from 'class-validator';
import { CurrentPrincipal, Principal, RequireScopes } from '@app/auth';
import { PROVIDER_NAMES, ProviderName } from '@app/payments';
import { PageQuery } from '../payments/dto/list-payments.query';
import { CreatePayoutDto } from './dto/create-payout.dto';
import { PayoutsService } from './payouts.service';

export class BeneficiariesQuery {
  @IsOptional() @IsIn(PROVIDER_NAMES) provider?: ProviderName;
}

@Controller('v1/payouts')
export class PayoutsController {
  constructor(private readonly payouts: PayoutsService) {}

  @Post()
  @RequireScopes('payouts:write')
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreatePayoutDto) {
    return this.payouts.create(principal, body);
  }

  @Get()
  @RequireScopes('payouts:read')
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQuery) {
    return this.payouts.list(principal, query.limit, query.cursor);
  }

  @Get(':id')
  @RequireScopes('payouts:read')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payouts.get(principal, id);
  }

  @Post(':id/refresh')
  @HttpCode(200)
  @RequireScopes('payouts:read')
  refresh(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payouts.refresh(principal, id);
  }
}

@Controller('v1/beneficiaries')
export class BeneficiariesController {
  constructor(private readonly payouts: PayoutsService) {}

  @Get()
  @RequireScopes('payouts:read')
  list(@Query() query: BeneficiariesQuery) {
    return this.payouts.beneficiaries(query.provider);
  }
}
