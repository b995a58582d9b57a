import { Type } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, Length, MaxLength, ValidateNested } from 'class-validator';
import { PROVIDER_NAMES, ProviderName } from '@app/payments';
import { IsCurrencyCode, IsMinorAmount, IsStringMap } from '../../http/validators';

export class PayerDto {
  @IsString() @Length(1, 200) name: string;
  @IsEmail() @MaxLength(254) email: string;
  @IsOptional() @IsString() @Length(1, 255) reference?: string;
}

export class PayeeDto {
  @IsOptional() @IsString() @Length(1, 200) name?: string;
  @IsOptional() @IsString() @Length(1, 255) reference?: string;
  @IsOptional() @IsString() @Length(1, 64) bankId?: string;
  @IsOptional() @IsString() @Length(1, 64) accountNumber?: string;
  @IsOptional() @IsString() @Length(1, 200) accountName?: string;
}

export class CreatePaymentDto {
  @IsMinorAmount() amount: number;
  @IsCurrencyCode() currency: string;
  @IsString() @Length(1, 500) description: string;
  @IsOptional() @IsString() @Length(1, 255) reference?: string;
  @IsOptional() @IsIn(PROVIDER_NAMES) provider?: ProviderName;
  @IsOptional() @ValidateNested() @Type(() => PayerDto) payer?: PayerDto;
  @IsOptional() @ValidateNested() @Type(() => PayeeDto) payee?: PayeeDto;
  @IsOptional() @IsStringMap() metadata?: Record<string, string>;
}

export class UpdatePaymentDto {
  @IsOptional() @IsString() @Length(1, 500) description?: string;
  @IsOptional() @IsMinorAmount() amount?: number;
  @IsOptional() @IsStringMap() metadata?: Record<string, string>;
}
