import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { PAYMENT_STATUSES, PaymentStatus, PROVIDER_NAMES, ProviderName } from '@app/payments';

/** Query strings arrive as text: these turn "20" and "true" into values, and leave anything else to fail. */
export const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value);
export const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** `?limit` alone, for lists that return their most recent entries without paging. */
export class LimitQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100) limit: number = 20;
}

export class PageQuery extends LimitQuery {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' })
  @IsOptional() @IsString() @Length(1, 200) cursor?: string;
}

export class ListPaymentsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: [...PAYMENT_STATUSES] })
  @IsOptional() @IsIn(PAYMENT_STATUSES) status?: PaymentStatus;
  @ApiPropertyOptional({ enum: [...PROVIDER_NAMES] })
  @IsOptional() @IsIn(PROVIDER_NAMES) provider?: ProviderName;
  @ApiPropertyOptional({ minLength: 1, maxLength: 255 })
  @IsOptional() @IsString() @Length(1, 255) reference?: string;
  @ApiPropertyOptional({ type: Boolean })
  @IsOptional() @Transform(toBool) @IsBoolean() archived?: boolean;
}
