import { ApiError } from '@app/common';
import { CapabilityError, ProviderError } from '@app/payments';
import { ErrorEnvelope, renderError } from '../error-envelope';
import { PROVIDER_NAMES } from '@app/contract';

/** The examples name a provider the gateway ships with (the published list), never a configured one. */
const EXAMPLE_PROVIDER = PROVIDER_NAMES[0];

const REQUEST_ID = '5f0c2a8e-5b7e-4c0e-9d55-2f8f3f6d1a77';

/**
 * For each status the document lists, errors the gateway really raises, rendered by the same function the
 * exception filter uses; so an example can only show a shape the gateway answers with, under its own status.
 */
const CASES: Record<number, Record<string, { summary: string; error: unknown }>> = {
  400: {
    malformed_json: { summary: 'The body is not valid JSON', error: Object.assign(new Error('bad json'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY' }) },
  },
  401: {
    missing_api_key: { summary: 'No Authorization header', error: new ApiError(401, 'authentication', 'missing_api_key', 'Send your API key as "Authorization: Bearer <key>"') },
    invalid_api_key: { summary: 'Unknown or revoked key', error: new ApiError(401, 'authentication', 'invalid_api_key', 'The API key is not valid or was revoked') },
  },
  403: {
    missing_scope: { summary: 'The key lacks the route’s scope', error: new ApiError(403, 'permission', 'missing_scope', 'This API key lacks the scope payments:write') },
  },
  404: {
    resource_not_found: { summary: 'No such resource for this key', error: ApiError.notFound('Payment') },
  },
  409: {
    idempotency_in_progress: { summary: 'The same Idempotency-Key is still running', error: ApiError.conflict('idempotency_in_progress', 'A request with this Idempotency-Key is still being processed') },
    invalid_state: { summary: 'The resource’s state does not allow it', error: ApiError.conflict('invalid_state', 'A succeeded payment cannot be cancelled') },
  },
  413: {
    payload_too_large: { summary: 'Over 64 KiB', error: Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' }) },
  },
  415: {
    unsupported_media_type: { summary: 'Not application/json', error: Object.assign(new Error('media type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }) },
  },
  422: {
    validation_failed: {
      summary: 'A field is missing or invalid',
      error: ApiError.invalid('description is required', [{ field: 'description', message: 'description is required' }]),
    },
    capability_not_supported: {
      summary: 'The provider cannot do this',
      error: new CapabilityError(EXAMPLE_PROVIDER, 'payments.cancel', `${EXAMPLE_PROVIDER} does not support payments.cancel`),
    },
    idempotency_key_reused: {
      summary: 'The Idempotency-Key was used with another body',
      error: ApiError.invalid('This Idempotency-Key was used with a different request', undefined, 'idempotency_key_reused'),
    },
  },
  429: {
    rate_limited: { summary: 'Too many requests for this key', error: new ApiError(429, 'rate_limited', 'rate_limited', 'More than 1000 requests per second for this API key') },
  },
  502: {
    provider_error: { summary: 'The provider refused', error: new ProviderError(EXAMPLE_PROVIDER, 'rejected', `${EXAMPLE_PROVIDER} refused the request`, 400) },
  },
  503: {
    provider_unreachable: { summary: 'The provider could not be reached', error: new ProviderError(EXAMPLE_PROVIDER, 'unreachable', `${EXAMPLE_PROVIDER} could not be reached`) },
  },
  504: {
    provider_timeout: { summary: 'The provider did not answer in time', error: new ProviderError(EXAMPLE_PROVIDER, 'timeout', `${EXAMPLE_PROVIDER} did not answer within 10000 ms`) },
  },
};

export interface ErrorExample {
  summary: string;
  value: ErrorEnvelope;
}

/** The examples for one status, each rendered as the gateway would answer it. */
export function errorExamples(status: number): Record<string, ErrorExample> {
  const examples: Record<string, ErrorExample> = {};
  for (const [name, { summary, error }] of Object.entries(CASES[status] ?? {})) {
    const rendered = renderError(error, REQUEST_ID);
    if (rendered.status !== status) throw new Error(`the ${status} example ${name} renders as ${rendered.status}`);
    examples[name] = { summary, value: rendered.body };
  }
  return examples;
}
