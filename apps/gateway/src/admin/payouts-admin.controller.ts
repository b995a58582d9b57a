import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, ValidateIf } from 'class-validator';
import { ApiError, isId } from '@app/common';
import { CurrentPrincipal, Principal, RequireScopes } from '@app/auth';
import { decodeCursor, encodeCursor } from '@app/persistence';
import { PayoutLifecycleService, presentPayout } from '@app/lifecycle';
import { ApiBodyErrors, ApiErrors, ApiKeyAuth } from '../http/openapi/api-errors.decorator';
import { PayoutPageSchema, PayoutSchema } from '../http/openapi/payments.schema';
import { PageQuery } from '../payments/dto/list-payments.query';

export class AdminPayoutsQuery extends PageQuery {
  @ApiProperty({ enum: ['unknown'], description: 'Payouts whose create outcome at the provider is unknown' })
  @IsIn(['unknown']) state: 'unknown';
}

export class ResolvePayoutDto {
  @ApiProperty({ enum: ['paid', 'failed'], description: 'paid: the provider made it (give its id); failed: it did not' })
  @IsIn(['paid', 'failed']) outcome: 'paid' | 'failed';
  @ApiPropertyOptional({ minLength: 1, maxLength: 255, description: "The provider's payout id; required with outcome paid" })
  @ValidateIf((dto: ResolvePayoutDto) => dto.outcome === 'paid' || dto.providerPayoutId !== undefined)
  @IsString() @Length(1, 255) providerPayoutId?: string;
  @ApiPropertyOptional({ maxLength: 1000, description: 'Why, for the audit' })
  @IsOptional() @IsString() @Length(0, 1000) note?: string;
}

/**
 * Payouts whose outcome is unknown (a timeout or 5xx on create, and a provider that cannot be searched by our
 * reference) wait for an operator: listed here, resolved one by one, each resolution audited.
 */
@ApiTags('operations')
@ApiKeyAuth()
@Controller('admin/payouts')
@RequireScopes('admin')
export class PayoutsAdminController {
  constructor(private readonly payouts: PayoutLifecycleService) {}

  @Get()
  @ApiOperation({ summary: 'Payouts whose outcome at the provider is unknown, oldest first (admin)' })
  @ApiOkResponse({ type: PayoutPageSchema })
  @ApiErrors(422)
  async list(@Query() query: AdminPayoutsQuery) {
    const rows = await this.payouts.listUnknown(query.limit + 1, query.cursor ? decodeCursor(query.cursor, 'po') : undefined);
    const data = rows.slice(0, query.limit);
    return { data: data.map(presentPayout), nextCursor: rows.length > query.limit ? encodeCursor(data[data.length - 1].id) : null };
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @ApiOperation({ summary: "Settle an unknown payout with the provider's payout id, or as failed; audited (admin)" })
  @ApiOkResponse({ type: PayoutSchema })
  @ApiBodyErrors()
  @ApiErrors(404, 409)
  async resolve(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: ResolvePayoutDto) {
    if (!isId('po', id)) throw ApiError.notFound('Payout');
    const operator = principal.isAdmin ? principal.keyId : `${principal.keyId} (${principal.name})`;
    const resolved = await this.payouts.resolve(
      id,
      operator,
      body.outcome === 'paid' ? { outcome: 'paid', providerPayoutId: body.providerPayoutId!, note: body.note } : { outcome: 'failed', note: body.note },
    );
    return presentPayout(resolved);
  }
}
