import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiSchema, getSchemaPath } from '@nestjs/swagger';
import { EVENT_TYPES } from '@app/outbox';
import { PaymentSchema, PayoutSchema } from './payments.schema';

@ApiSchema({ name: 'WebhookEndpoint' })
export class WebhookEndpointSchema {
  @ApiProperty({ example: 'we_01jd3k9x7w8r5q2m4n6p8s0t1v' }) id: string;
  @ApiProperty({ enum: ['webhook_endpoint'] }) object: 'webhook_endpoint';
  @ApiProperty({ example: 'https://orders.internal/hooks/payments' }) url: string;
  @ApiProperty({ type: [String], example: ['payment.succeeded'], description: 'Event types, or ["*"] for all' }) events: string[];
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ type: String, nullable: true }) disabledReason: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

@ApiSchema({ name: 'CreatedWebhookEndpoint' })
export class CreatedWebhookEndpointSchema extends WebhookEndpointSchema {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'Shown once: the Standard Webhooks signing secret. Null when the answer is an Idempotency-Key replay (header Idempotent-Secret-Omitted: secret)',
  })
  secret: string | null;
}

@ApiSchema({ name: 'WebhookEndpointList' })
export class WebhookEndpointListSchema {
  @ApiProperty({ type: [WebhookEndpointSchema] }) data: WebhookEndpointSchema[];
}

@ApiSchema({ name: 'DeliveryAttempt' })
export class DeliveryAttemptSchema {
  @ApiProperty() eventId: string;
  @ApiProperty({ type: 'integer' }) attempt: number;
  @ApiProperty({ enum: ['succeeded', 'failed', 'pending'] }) status: string;
  @ApiProperty({ type: 'integer', nullable: true }) responseStatus: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) durationMs: number | null;
  @ApiPropertyOptional({ type: String, nullable: true }) error?: string | null;
  @ApiProperty({ format: 'date-time', description: 'When it was made, or for a pending one when it is due' }) at: string;
}

@ApiSchema({ name: 'DeliveryAttemptList' })
export class DeliveryAttemptListSchema {
  @ApiProperty({ type: [DeliveryAttemptSchema] }) data: DeliveryAttemptSchema[];
}

@ApiSchema({ name: 'Event' })
@ApiExtraModels(PaymentSchema, PayoutSchema)
export class EventSchema {
  @ApiProperty({ example: 'evt_01jd3k9x7w8r5q2m4n6p8s0t1v' }) id: string;
  @ApiProperty({ enum: ['event'] }) object: 'event';
  @ApiProperty({ enum: [...EVENT_TYPES] }) type: string;
  @ApiProperty({ format: 'date-time' }) timestamp: string;
  @ApiProperty({ oneOf: [{ $ref: getSchemaPath(PaymentSchema) }, { $ref: getSchemaPath(PayoutSchema) }], description: 'The payment or payout' })
  data: Record<string, unknown>;
}

@ApiSchema({ name: 'EventPage' })
export class EventPageSchema {
  @ApiProperty({ type: [EventSchema] }) data: EventSchema[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

@ApiSchema({ name: 'RedeliveryTarget' })
export class RedeliveryTargetSchema {
  @ApiProperty() endpointId: string;
  @ApiProperty({ enum: ['pending'] }) status: string;
}

@ApiSchema({ name: 'RedeliverResult' })
export class RedeliverResultSchema {
  @ApiProperty() eventId: string;
  @ApiProperty({ type: [RedeliveryTargetSchema] }) deliveries: RedeliveryTargetSchema[];
}

@ApiSchema({ name: 'InboundWebhookResult' })
export class InboundResultSchema {
  @ApiProperty({ enum: [true] }) received: boolean;
  @ApiProperty({ enum: ['applied', 'duplicate', 'unknown_payment', 'ignored'] }) outcome: string;
}
