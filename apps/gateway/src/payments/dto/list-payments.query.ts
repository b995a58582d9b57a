import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { PAYMENT_STATUSES, PaymentStatus, PROVIDER_NAMES, ProviderName } from '@app/payments';

/** Query strings arrive as text: these turn "20" and "true" into values, and leave anything else to fail. */
export const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value);
export const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class PageQuery {
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100) limit: number = 20;
  @IsOptional() @IsString() @Length(1, 200) cursor?: string;
}

export class ListPaymentsQuery extends PageQuery {
  @IsOptional() @IsIn(PAYMENT_STATUSES) status?: PaymentStatus;
  @IsOptional() @IsIn(PROVIDER_NAMES) provider?: ProviderName;
  @IsOptional() @IsString() @Length(1, 255) reference?: string;
  @IsOptional() @Transform(toBool) @IsBoolean() archived?: boolean;
}
