import { ApiError, ApiErrorType } from '@app/common';
import { CapabilityError, MoneyError, ProviderError } from '@app/payments';

export interface ErrorEnvelope {
  error: { type: ApiErrorType | string; code: string; message: string; details?: unknown };
  requestId: string;
}

export interface RenderedError {
  status: number;
  body: ErrorEnvelope;
  headers: Record<string, string>;
  /** True for failures that are ours (5xx not caused by a provider): logged with their stack. */
  unexpected: boolean;
}

/** Fastify's own errors (body parsing, limits) by code, in the contract's terms. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'The body is larger than 64 KiB' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', message: 'The body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_json', message: 'The body is empty but says it is JSON' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Send the body as application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_INVALID_TYPE: { status: 400, code: 'invalid_content_type', message: 'The Content-Type header is not valid' },
  FST_ERR_BAD_URL: { status: 400, code: 'bad_url', message: 'The URL is not valid' },
};

/** Turns anything thrown while serving a request into the contract's error envelope. */
export function renderError(error: unknown, requestId: string): RenderedError {
  const envelope = (status: number, type: string, code: string, message: string, details?: unknown, headers: Record<string, string> = {}, unexpected = false): RenderedError => ({
    status,
    body: { error: details === undefined ? { type, code, message } : { type, code, message, details }, requestId },
    headers,
    unexpected,
  });

  if (error instanceof ApiError) {
    return envelope(error.status, error.type, error.code, error.message, error.details, error.headers ?? {});
  }
  if (error instanceof ProviderError) {
    const { status, type, code } = error.http;
    return envelope(status, type, code, error.message, { provider: error.provider, providerStatus: error.providerStatus });
  }
  if (error instanceof CapabilityError) {
    return envelope(422, 'capability_not_supported', `${error.capability.replace('.', '_')}_not_supported`, error.message, { provider: error.provider });
  }
  if (error instanceof MoneyError) {
    return envelope(422, 'invalid_request', 'invalid_amount', error.message, [{ field: 'amount', message: error.message }]);
  }
  if (isDependencyDown(error)) {
    return envelope(503, 'unavailable', 'dependency_unavailable', 'A backing service is unavailable; retry shortly', undefined, { 'Retry-After': '1' });
  }
  const known = error as { code?: string; cause?: { code?: string }; statusCode?: number; status?: number; getStatus?: () => number };
  // Nest wraps fastify's parser errors in an HttpException whose cause carries fastify's code.
  const fastifyCode = known.code ?? known.cause?.code;
  if (fastifyCode && FASTIFY_ERRORS[fastifyCode]) {
    const mapped = FASTIFY_ERRORS[fastifyCode];
    return envelope(mapped.status, 'invalid_request', mapped.code, mapped.message);
  }
  const status = typeof known.getStatus === 'function' ? known.getStatus() : known.statusCode ?? known.status;
  if (status === 404) return envelope(404, 'not_found', 'route_not_found', 'No such route');
  if (status === 405) return envelope(405, 'invalid_request', 'method_not_allowed', 'Method not allowed on this route');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // A client error raised by a library (fastify, a Nest pipe) that has no entry above: keep its status.
    return envelope(status, 'invalid_request', 'invalid_request', 'The request is not valid');
  }
  return envelope(500, 'internal', 'internal_error', 'Something went wrong on our side; the request id helps us find it', undefined, {}, true);
}

/**
 * Postgres or Redis not answering (restart, failover, network) is an outage, not a bug: 503 with Retry-After, so
 * callers retry instead of reporting an internal error. Postgres SQLSTATE class 08 is "connection exception",
 * 57P0x "operator intervention" (shutdown, starting up).
 */
function isDependencyDown(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const { code, message, driverError, cause } = current as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof code === 'string' && (/^08/.test(code) || /^57P0/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code))) return true;
    if (typeof message === 'string' && /Connection terminated|Connection is closed|connect ECONNREFUSED|timeout exceeded when trying to connect|Stream isn't writeable/i.test(message)) return true;
    current = driverError ?? cause;
  }
  return false;
}
