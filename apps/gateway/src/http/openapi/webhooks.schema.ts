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
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When it was disabled; null while enabled' })
  disabledAt: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Start of the current run of failed attempts; null once one succeeds or it is enabled again. After WEBHOOK_DISABLE_AFTER of it the endpoint is disabled',
  })
  failingSince: string | null;
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
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    enum: ['http_status', 'redirect', 'timeout', 'connection', 'dns', 'refused', 'invalid_url'],
    description: 'Why no 2xx came',
  })
  errorKind?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: "The first 1 KB of the receiver's answer" }) responseBody?: string | null;
  @ApiProperty({ format: 'date-time', description: 'When it was made, or for a pending one when it is due' }) at: string;
}

@ApiSchema({ name: 'DeliveryAttemptList' })
export class DeliveryAttemptListSchema {
  @ApiProperty({ type: [DeliveryAttemptSchema] }) data: DeliveryAttemptSchema[];
}

@ApiSchema({ name: 'RotatedWebhookEndpoint' })
export class RotatedWebhookEndpointSchema extends CreatedWebhookEndpointSchema {
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Until then deliveries are signed with the old secret too' })
  previousSecretExpiresAt: string | null;
}

@ApiSchema({ name: 'RecoverResult' })
export class RecoverResultSchema {
  @ApiProperty() endpointId: string;
  @ApiProperty({ format: 'date-time' }) since: string;
  @ApiProperty({ type: 'integer', description: 'Failed deliveries started over' }) recovered: number;
}

@ApiSchema({ name: 'DeadLetter' })
export class DeadLetterSchema {
  @ApiProperty() eventId: string;
  @ApiProperty({ enum: [...EVENT_TYPES] }) eventType: string;
  @ApiProperty({ type: 'integer' }) attempts: number;
  @ApiProperty({ type: 'integer', nullable: true }) lastResponseStatus: number | null;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) failedAt: string;
}

@ApiSchema({ name: 'DeadLetterPage' })
export class DeadLetterPageSchema {
  @ApiProperty({ type: [DeadLetterSchema] }) data: DeadLetterSchema[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Pass as `before` for the next page' }) nextBefore: string | null;
}

@ApiSchema({ name: 'EventAttempt' })
export class EventAttemptSchema {
  @ApiProperty() eventId: string;
  @ApiProperty() endpointId: string;
  @ApiProperty({ type: 'integer' }) attempt: number;
  @ApiProperty({ enum: ['succeeded', 'failed'] }) status: string;
  @ApiProperty({ type: 'integer', nullable: true }) responseStatus: number | null;
  @ApiProperty({ type: 'integer' }) durationMs: number;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty({ type: String, nullable: true }) errorKind: string | null;
  @ApiProperty({ type: String, nullable: true }) responseBody: string | null;
  @ApiProperty({ format: 'date-time' }) at: string;
}

@ApiSchema({ name: 'EventAttemptList' })
export class EventAttemptListSchema {
  @ApiProperty({ type: [EventAttemptSchema] }) data: EventAttemptSchema[];
}

@ApiSchema({ name: 'Event' })
@ApiExtraModels(PaymentSchema, PayoutSchema)
export class EventSchema {
  @ApiProperty({ example: 'evt_01jd3k9x7w8r5q2m4n6p8s0t1v' }) id: string;
  @ApiProperty({ enum: ['event'] }) object: 'event';
  @ApiProperty({ enum: [...EVENT_TYPES] }) type: string;
  @ApiProperty({ format: 'date-time' }) timestamp: string;
  @ApiPropertyOptional({ type: 'integer', description: "The resource's version after this change: drop an event older than one already applied" })
  sequence?: number;
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
