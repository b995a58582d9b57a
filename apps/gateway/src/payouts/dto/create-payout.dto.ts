import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { MAX_MINOR_AMOUNT, PROVIDER_NAMES, ProviderName } from '@app/payments';
import { IsCurrencyCode, IsMinorAmount } from '../../http/validators';

export class DestinationDto {
  @ApiProperty({ minLength: 1, maxLength: 64, example: '058' })
  @IsString() @Length(1, 64) bankId: string;
  @ApiProperty({ minLength: 1, maxLength: 64, example: '0123456789' })
  @IsString() @Length(1, 64) accountNumber: string;
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Ada Obi' })
  @IsString() @Length(1, 200) accountName: string;
}

/** Exactly one of beneficiaryId and destination; the service checks that pair. */
export class CreatePayoutDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_MINOR_AMOUNT, example: 250000, description: 'Minor units' })
  @IsMinorAmount() amount: number;
  @ApiProperty({ pattern: '^[A-Z]{3}$', example: 'NGN' })
  @IsCurrencyCode() currency: string;
  @ApiPropertyOptional({ minLength: 1, maxLength: 64, description: 'Send exactly one of beneficiaryId and destination' })
  @IsOptional() @IsString() @Length(1, 64) beneficiaryId?: string;
  @ApiPropertyOptional({ type: DestinationDto, description: 'Send exactly one of beneficiaryId and destination' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => DestinationDto) destination?: DestinationDto;
  @ApiPropertyOptional({ minLength: 1, maxLength: 255 })
  @IsOptional() @IsString() @Length(1, 255) reference?: string;
  @ApiPropertyOptional({ minLength: 1, maxLength: 500 })
  @IsOptional() @IsString() @Length(1, 500) description?: string;
  @ApiPropertyOptional({ enum: [...PROVIDER_NAMES] })
  @IsOptional() @IsIn(PROVIDER_NAMES) provider?: ProviderName;
}
