import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiSchema, getSchemaPath } from '@nestjs/swagger';
import { ERROR_TYPES } from '@app/contract';

@ApiSchema({ name: 'FieldProblem' })
export class FieldProblemSchema {
  @ApiProperty({ example: 'amount' }) field: string;
  @ApiProperty({ example: 'amount must be a positive whole number of minor units, at most 999999999999999' }) message: string;
}

@ApiSchema({ name: 'ErrorBody' })
@ApiExtraModels(FieldProblemSchema)
export class ErrorBodySchema {
  @ApiProperty({ enum: [...ERROR_TYPES] })
  type: string;
  @ApiProperty({ example: 'validation_failed', description: 'Stable machine-readable code, e.g. idempotency_in_progress, payload_too_large' })
  code: string;
  @ApiProperty({ example: 'amount must be a positive whole number of minor units' }) message: string;
  @ApiPropertyOptional({
    description: 'For validation errors a list of {field, message}; for provider errors {provider, providerStatus, paymentId?}',
    oneOf: [{ type: 'array', items: { $ref: getSchemaPath(FieldProblemSchema) } }, { type: 'object', additionalProperties: true }],
  })
  details?: unknown;
}

/** Every error answer of the gateway. */
@ApiSchema({ name: 'ErrorEnvelope' })
export class ErrorEnvelopeSchema {
  @ApiProperty({ type: ErrorBodySchema }) error: ErrorBodySchema;
  @ApiProperty({ example: '5f0c2a8e-5b7e-4c0e-9d55-2f8f3f6d1a77', description: 'Also sent as the X-Request-Id header' })
  requestId: string;
}
