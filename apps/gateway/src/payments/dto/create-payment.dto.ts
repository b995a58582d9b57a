import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEmail, IsIn, IsObject, IsOptional, IsString, Length, MaxLength, ValidateNested } from 'class-validator';
import { MAX_MINOR_AMOUNT, PROVIDER_NAMES, ProviderName } from '@app/payments';
import { IsCurrencyCode, IsMinorAmount, IsStringMap } from '../../http/validators';

const METADATA = {
  type: 'object',
  additionalProperties: { type: 'string', maxLength: 500 },
  maxProperties: 20,
  description: 'At most 20 string values (keys 1-40 characters, values at most 500)',
  example: { order: '42' },
} as const;
const AMOUNT = {
  type: 'integer',
  minimum: 1,
  maximum: MAX_MINOR_AMOUNT,
  example: 12399,
  description: 'Minor units of the currency (12399 USD = 123.99; JPY has none, KWD three)',
} as const;

export class PayerDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'John Smith' })
  @IsString() @Length(1, 200) name: string;
  @ApiProperty({ format: 'email', maxLength: 254, example: 'john@example.com' })
  @IsEmail() @MaxLength(254) email: string;
  @ApiPropertyOptional({ minLength: 1, maxLength: 255 })
  @IsOptional() @IsString() @Length(1, 255) reference?: string;
}

export class PayeeDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IsOptional() @IsString() @Length(1, 200) name?: string;
  @ApiPropertyOptional({ minLength: 1, maxLength: 255 })
  @IsOptional() @IsString() @Length(1, 255) reference?: string;
  @ApiPropertyOptional({ minLength: 1, maxLength: 64 })
  @IsOptional() @IsString() @Length(1, 64) bankId?: string;
  @ApiPropertyOptional({ minLength: 1, maxLength: 64 })
  @IsOptional() @IsString() @Length(1, 64) accountNumber?: string;
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IsOptional() @IsString() @Length(1, 200) accountName?: string;
}

export class CreatePaymentDto {
  @ApiProperty(AMOUNT)
  @IsMinorAmount() amount: number;
  @ApiProperty({ pattern: '^[A-Z]{3}$', example: 'USD', description: 'ISO 4217 code' })
  @IsCurrencyCode() currency: string;
  @ApiProperty({ minLength: 1, maxLength: 500, example: 'Membership' })
  @IsString() @Length(1, 500) description: string;
  @ApiPropertyOptional({ minLength: 1, maxLength: 255, example: 'order-42' })
  @IsOptional() @IsString() @Length(1, 255) reference?: string;
  @ApiPropertyOptional({ enum: [...PROVIDER_NAMES], description: 'Else the routing decides (currency route, then default)' })
  @IsOptional() @IsIn(PROVIDER_NAMES) provider?: ProviderName;
  @ApiPropertyOptional({ type: PayerDto })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PayerDto) payer?: PayerDto;
  @ApiPropertyOptional({ type: PayeeDto })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PayeeDto) payee?: PayeeDto;
  @ApiPropertyOptional(METADATA)
  @IsOptional() @IsStringMap() metadata?: Record<string, string>;
}

export class UpdatePaymentDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 500, description: 'Needs the provider’s payments.update capability' })
  @IsOptional() @IsString() @Length(1, 500) description?: string;
  @ApiPropertyOptional({ ...AMOUNT, description: 'Needs the provider’s payments.update capability' })
  @IsOptional() @IsMinorAmount() amount?: number;
  @ApiPropertyOptional(METADATA)
  @IsOptional() @IsStringMap() metadata?: Record<string, string>;
}
