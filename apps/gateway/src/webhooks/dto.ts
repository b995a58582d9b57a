import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { EVENT_TYPES } from '@app/outbox';
import { PageQuery } from '../payments/dto/list-payments.query';

const SUBSCRIBABLE = [...EVENT_TYPES, '*'];

export class CreateWebhookEndpointDto {
  @IsString() @MaxLength(2048) url: string;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(EVENT_TYPES.length + 1) @IsIn(SUBSCRIBABLE, { each: true }) events: string[];
  @IsOptional() @IsString() @Length(0, 500) description?: string;
}

export class UpdateWebhookEndpointDto {
  @IsOptional() @IsString() @MaxLength(2048) url?: string;
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(EVENT_TYPES.length + 1) @IsIn(SUBSCRIBABLE, { each: true }) events?: string[];
  @IsOptional() @IsString() @Length(0, 500) description?: string;
  @IsOptional() @IsBoolean() enabled?: boolean;
}

export class ListEventsQuery extends PageQuery {
  @IsOptional() @IsIn(EVENT_TYPES) type?: string;
}

export class RedeliverDto {
  @IsOptional() @IsString() @Length(1, 64) endpointId?: string;
}
