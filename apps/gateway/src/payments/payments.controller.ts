import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, RequireScopes } from '@app/auth';
import { ApiBodyErrors, ApiErrors, ApiIdempotent, ApiKeyAuth, ApiProviderErrors } from '../http/openapi/api-errors.decorator';
import { PaymentPageSchema, PaymentSchema, TransactionListSchema } from '../http/openapi/payments.schema';
import { CreatePaymentDto, UpdatePaymentDto } from './dto/create-payment.dto';
import { ListPaymentsQuery } from './dto/list-payments.query';
import { PaymentsService } from './payments.service';

@ApiTags('payments')
@ApiKeyAuth()
@Controller('v1/payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @RequireScopes('payments:write')
  @ApiOperation({ summary: 'Create a payment at the chosen provider (scope payments:write)' })
  @ApiCreatedResponse({ type: PaymentSchema })
  @ApiIdempotent()
  @ApiBodyErrors()
  @ApiProviderErrors()
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreatePaymentDto) {
    return this.payments.create(principal, body);
  }

  @Get()
  @RequireScopes('payments:read')
  @ApiOperation({ summary: 'List payments, newest first (scope payments:read)' })
  @ApiOkResponse({ type: PaymentPageSchema })
  @ApiErrors(422)
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListPaymentsQuery) {
    return this.payments.list(principal, query);
  }

  @Get(':id')
  @RequireScopes('payments:read')
  @ApiOperation({ summary: 'Read a payment (scope payments:read)' })
  @ApiOkResponse({ type: PaymentSchema })
  @ApiErrors(404)
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payments.get(principal, id);
  }

  @Patch(':id')
  @RequireScopes('payments:write')
  @ApiOperation({ summary: 'Change description, amount (at the provider) or metadata (scope payments:write)' })
  @ApiOkResponse({ type: PaymentSchema })
  @ApiErrors(404, 409)
  @ApiBodyErrors()
  @ApiProviderErrors()
  update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdatePaymentDto) {
    return this.payments.update(principal, id, body);
  }

  @Delete(':id')
  @RequireScopes('payments:write')
  @ApiOperation({ summary: 'Cancel a payment; the record stays with status cancelled (scope payments:write)' })
  @ApiOkResponse({ type: PaymentSchema })
  @ApiErrors(404, 409, 422)
  @ApiProviderErrors()
  cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payments.cancel(principal, id);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @RequireScopes('payments:write')
  @ApiOperation({ summary: 'Archive a payment (scope payments:write)' })
  @ApiOkResponse({ type: PaymentSchema })
  @ApiIdempotent()
  @ApiErrors(404, 422)
  @ApiProviderErrors()
  archive(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payments.setArchived(principal, id, true);
  }

  @Post(':id/unarchive')
  @HttpCode(200)
  @RequireScopes('payments:write')
  @ApiOperation({ summary: 'Unarchive a payment (scope payments:write)' })
  @ApiOkResponse({ type: PaymentSchema })
  @ApiIdempotent()
  @ApiErrors(404, 422)
  @ApiProviderErrors()
  unarchive(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payments.setArchived(principal, id, false);
  }

  @Get(':id/transactions')
  @RequireScopes('payments:read')
  @ApiOperation({ summary: 'The provider’s attempts for this payment, normalized (scope payments:read)' })
  @ApiOkResponse({ type: TransactionListSchema })
  @ApiErrors(404, 409, 422)
  @ApiProviderErrors()
  transactions(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payments.transactions(principal, id);
  }

  @Post(':id/refresh')
  @HttpCode(200)
  @RequireScopes('payments:read')
  @ApiOperation({ summary: 'Re-read the payment from its provider now (scope payments:read)' })
  @ApiOkResponse({ type: PaymentSchema })
  @ApiIdempotent()
  @ApiErrors(404, 409, 422)
  @ApiProviderErrors()
  refresh(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.payments.refresh(principal, id);
  }
}
