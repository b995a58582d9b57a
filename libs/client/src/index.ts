/**
 * @paygw/client: a typed client for the payments gateway's /v1 API, and `verifyWebhook` for services that receive
 * its webhooks. No dependencies: Node >= 20's global fetch and node:crypto.
 */
export * from './types';
export { ROUTES, REQUEST_BODY_FIELDS, QUERY_PARAM_FIELDS, expandPath } from './routes';
export type { HttpMethod, Operation, Route } from './routes';
export { PaymentsApiError, WebhookVerificationError } from './errors';
export type { PaymentsApiErrorInit, TransportErrorType } from './errors';
export { isRetryable, backoffDelay, parseRetryAfter } from './retry';
export type { AttemptOutcome, BackoffOptions } from './retry';
export {
  PaymentsClient,
  paginate,
  CLIENT_VERSION,
  PaymentsResource,
  PayoutsResource,
  BeneficiariesResource,
  ProvidersResource,
  ApiKeysResource,
  WebhookEndpointsResource,
  EventsResource,
} from './client';
export type { PaymentsClientOptions, CallOptions, RetryInfo } from './client';
export { verifyWebhook, signWebhook } from './webhooks';
export type { VerifyWebhookOptions, WebhookHeaders } from './webhooks';
