import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiResponse } from '@nestjs/swagger';
import { errorExamples } from './error-examples';
import { ErrorEnvelopeSchema } from './error.schema';

/** The scheme name used by @ApiBearerAuth and the document's securitySchemes. */
export const BEARER = 'bearer';

const DESCRIPTIONS: Record<number, string> = {
  400: 'invalid_request: malformed JSON, invalid UTF-8, JSON nested deeper than 32 levels (json_too_deep) or a string over 8 KiB (json_string_too_long), a bad Idempotency-Key',
  401: 'authentication: missing, invalid or revoked API key (or bad webhook signature)',
  403: 'permission: the API key lacks the scope this route needs',
  404: 'not_found: no such resource for this API key',
  409: 'conflict: idempotency_in_progress, or a state change the resource does not allow',
  413: 'invalid_request (payload_too_large): bodies over 64 KiB',
  415: 'invalid_request (unsupported_media_type): send application/json',
  422: 'invalid_request (validation_failed, details lists {field, message}; idempotency_key_reused) or capability_not_supported',
  429: 'rate_limited: too many requests for this API key; see Retry-After',
  502: 'provider_error: the provider answered with an error',
  503: 'provider_unavailable: the provider could not be reached or its circuit is open',
  504: 'provider_timeout: the provider did not answer in time',
};

/**
 * Documents the given error statuses, each answered with the contract's error envelope and examples of that
 * status (without them, Swagger UI shows one example built from the schema, a 422, under every status).
 */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'error', type: ErrorEnvelopeSchema, examples: errorExamples(status) }),
    ),
  );

/** A route behind `Authorization: Bearer <key>`: the scheme plus the errors any such route can answer. */
export const ApiKeyAuth = () => applyDecorators(ApiBearerAuth(BEARER), ApiErrors(401, 403, 429));

/** A route that takes a JSON body: what a bad body answers. */
export const ApiBodyErrors = () => ApiErrors(400, 413, 415, 422);

/** A route that calls a provider. */
export const ApiProviderErrors = () => ApiErrors(502, 503, 504);

/** A POST that honours Idempotency-Key. */
export const ApiIdempotent = () =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: '1-255 printable characters; the same key and body within 24 h replays the first answer (Idempotent-Replayed: true)',
    }),
    ApiErrors(409),
  );
