import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsDateString, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { EVENT_TYPES } from '@app/outbox';
import { LimitQuery, PageQuery } from '../payments/dto/list-payments.query';
import { OptionalBody } from '../http/validation';

const SUBSCRIBABLE = [...EVENT_TYPES, '*'];
const EVENTS = {
  type: 'string',
  enum: SUBSCRIBABLE,
  isArray: true,
  minItems: 1,
  maxItems: EVENT_TYPES.length + 1,
  description: 'Event types, or ["*"] for every event',
  example: ['payment.succeeded', 'payment.failed'],
} as const;

export class CreateWebhookEndpointDto {
  @ApiProperty({ maxLength: 2048, example: 'https://orders.internal/hooks/payments' })
  @IsString() @MaxLength(2048) url: string;
  @ApiProperty(EVENTS)
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(EVENT_TYPES.length + 1) @IsIn(SUBSCRIBABLE, { each: true }) events: string[];
  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional() @IsString() @Length(0, 500) description?: string;
}

export class UpdateWebhookEndpointDto {
  @ApiPropertyOptional({ maxLength: 2048 })
  @IsOptional() @IsString() @MaxLength(2048) url?: string;
  @ApiPropertyOptional(EVENTS)
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(EVENT_TYPES.length + 1) @IsIn(SUBSCRIBABLE, { each: true }) events?: string[];
  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional() @IsString() @Length(0, 500) description?: string;
  @ApiPropertyOptional()
  @IsOptional() @IsBoolean() enabled?: boolean;
}

export class ListEventsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: [...EVENT_TYPES] })
  @IsOptional() @IsIn(EVENT_TYPES) type?: string;
}

@OptionalBody()
export class RedeliverDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 64, description: 'One endpoint; else every endpoint now subscribed to the event' })
  @IsOptional() @IsString() @Length(1, 64) endpointId?: string;
}

export class RecoverDto {
  @ApiProperty({ format: 'date-time', example: '2024-11-22T00:00:00Z', description: 'Failed deliveries of events created at or after this time are sent again' })
  @IsDateString({ strict: true }) since: string;
}

export class DeadLettersQuery extends LimitQuery {
  @ApiPropertyOptional({ format: 'date-time', description: 'nextBefore of the previous page' })
  @IsOptional() @IsDateString({ strict: true }) before?: string;
}

export class EventAttemptsQuery extends LimitQuery {
  @ApiPropertyOptional({ minLength: 1, maxLength: 64, description: 'Only the attempts to this endpoint (one delivery)' })
  @IsOptional() @IsString() @Length(1, 64) endpointId?: string;
}
