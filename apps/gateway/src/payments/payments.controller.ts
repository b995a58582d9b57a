import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { CurrentPrincipal, Principal, RequireScopes } from '@app/auth';
import { CreatePaymentDto, UpdatePaymentDto } from './dto/create-payment.dto';
import { ListPaymentsQuery } from './dto/list-payments.query';
import { PaymentsService } from './payments.service';

@Controller('v1/payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @RequireScopes('payments:write')
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreatePaymentDto) {
    return this.payments.create(principal, body);
  }

  @Get()
  @RequireScopes('payments:read')
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListPaymentsQuery) {
    return this.payments.list(principal, query);
  }

  @Get(':id')
  @RequireScopes('payments:read')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payments.get(principal, id);
  }

  @Patch(':id')
  @RequireScopes('payments:write')
  update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdatePaymentDto) {
    return this.payments.update(principal, id, body);
  }

  @Delete(':id')
  @RequireScopes('payments:write')
  cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payments.cancel(principal, id);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @RequireScopes('payments:write')
  archive(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payments.setArchived(principal, id, true);
  }

  @Post(':id/unarchive')
  @HttpCode(200)
  @RequireScopes('payments:write')
  unarchive(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payments.setArchived(principal, id, false);
  }

  @Get(':id/transactions')
  @RequireScopes('payments:read')
  transactions(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payments.transactions(principal, id);
  }

  @Post(':id/refresh')
  @HttpCode(200)
  @RequireScopes('payments:read')
  refresh(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payments.refresh(principal, id);
  }
}
