import { Type } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { PROVIDER_NAMES, ProviderName } from '@app/payments';
import { IsCurrencyCode, IsMinorAmount } from '../../http/validators';

export class DestinationDto {
  @IsString() @Length(1, 64) bankId: string;
  @IsString() @Length(1, 64) accountNumber: string;
  @IsString() @Length(1, 200) accountName: string;
}

/** Exactly one of beneficiaryId and destination; the service checks that pair. */
export class CreatePayoutDto {
  @IsMinorAmount() amount: number;
  @IsCurrencyCode() currency: string;
  @IsOptional() @IsString() @Length(1, 64) beneficiaryId?: string;
  @IsOptional() @ValidateNested() @Type(() => DestinationDto) destination?: DestinationDto;
  @IsOptional() @IsString() @Length(1, 255) reference?: string;
  @IsOptional() @IsString() @Length(1, 500) description?: string;
  @IsOptional() @IsIn(PROVIDER_NAMES) provider?: ProviderName;
}
