/**
 * The gateway's wire types: what /v1 accepts and answers. This is the bottom of the stack: the gateway's libraries
 * (@app/contract) and the client package (libs/client, relatively, since it builds on its own) both import it, and
 * the presenters are type-checked against it, so the client cannot drift from what the gateway sends. It imports
 * nothing.
 *
 * Amounts are integer minor units of the currency (12399 USD = 123.99; JPY has none, KWD three).
 */

// ---------------------------------------------------------------------------------------------------------------
// Enumerations (runtime lists and their types)

/** The providers the gateway ships with. A gateway may register others: a provider is named by string. */
export const PROVIDER_NAMES = ['flexiqash', 'flashpay'] as const;
/** A registered provider's name (`GET /v1/providers` lists them). */
export type ProviderName = string;

/** Whether `value` names one of the providers the gateway ships with (PROVIDER_NAMES). */
export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value);
}

export const PAYMENT_STATUSES = ['pending', 'succeeded', 'failed', 'cancelled', 'expired'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const PAYOUT_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

export const TRANSACTION_STATUSES = ['succeeded', 'failed', 'pending'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

export const EVENT_TYPES = [
  'payment.created',
  'payment.updated',
  'payment.succeeded',
  'payment.failed',
  'payment.cancelled',
  'payment.expired',
  'payment.archived',
  'payment.unarchived',
  'payout.created',
  'payout.succeeded',
  'payout.failed',
  'endpoint.disabled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export type PaymentEventType = Extract<EventType, `payment.${string}`>;
export type PayoutEventType = Extract<EventType, `payout.${string}`>;
export type EndpointEventType = Extract<EventType, `endpoint.${string}`>;

export const SCOPES = ['payments:read', 'payments:write', 'payouts:read', 'payouts:write', 'webhooks:manage', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const ERROR_TYPES = [
  'invalid_request',
  'authentication',
  'permission',
  'not_found',
  'conflict',
  'capability_not_supported',
  'rate_limited',
  'provider_error',
  'provider_unavailable',
  'provider_timeout',
  'unavailable',
  'internal',
] as const;
/** The `error.type` values the gateway answers. */
export type ApiErrorType = (typeof ERROR_TYPES)[number];

// ---------------------------------------------------------------------------------------------------------------
// Resources

export interface Payer {
  name: string;
  email: string;
  reference?: string | null;
}

export interface Payee {
  name?: string | null;
  reference?: string | null;
  bankId?: string | null;
  accountNumber?: string | null;
  accountName?: string | null;
}

export interface BankDestination {
  bankId: string;
  accountNumber: string;
  accountName: string;
}

/** The normalized payment as the gateway's API shows it. Amounts are integer minor units. */
export interface Payment {
  id: string;
  object: 'payment';
  provider: ProviderName;
  providerPaymentId: string | null;
  amount: number;
  currency: string;
  description: string;
  reference: string | null;
  status: PaymentStatus;
  providerStatus: string | null;
  archived: boolean;
  checkoutUrl: string | null;
  payer: Payer | null;
  payee: Payee | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export type PayoutDestination = Partial<BankDestination> & { beneficiaryId?: string | null };

export interface Payout {
  id: string;
  object: 'payout';
  provider: ProviderName;
  providerPayoutId: string | null;
  amount: number;
  currency: string;
  status: PayoutStatus;
  providerStatus: string | null;
  destination: PayoutDestination | null;
  reference: string | null;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

// A type alias, not an interface: the gateway stores it as a Record<string, string | null>.
export type TransactionPayer = {
  name: string | null;
  email: string | null;
  reference: string | null;
};

/** One of the provider's attempts to collect a payment, normalized. */
export interface Transaction {
  id: string;
  object: 'transaction';
  amount: number | null;
  currency: string;
  status: TransactionStatus;
  providerStatus: string | null;
  message: string | null;
  payer: TransactionPayer | null;
  paidAt: string | null;
  createdAt: string | null;
}

export interface Beneficiary {
  id: string;
  name: string;
  bankId: string;
  accountNumber: string;
  accountName: string;
}

export interface ProviderInfo {
  name: ProviderName;
  /** True for the routing's default provider. */
  default: boolean;
  currencies: string[];
  /** e.g. `payments.create`, `payouts.create`, `beneficiaries.list`. */
  capabilities: string[];
  configured: boolean;
}

export interface ApiKey {
  id: string;
  name: string;
  scopes: Scope[];
  /** The first characters of the key, to recognise it. */
  keyPrefix: string;
  createdAt: string;
}

/** The answer to creating a key: the key itself is shown this once. */
export interface CreatedApiKey {
  id: string;
  name: string;
  scopes: Scope[];
  /**
   * The gateway never stores it: a replay of an earlier call with the same Idempotency-Key (a retry after the first
   * answer was lost) answers null here with the header `Idempotent-Secret-Omitted: key`. Revoke that key and create
   * another. (Typed as a string so existing callers compile; check it before use after a retried create.)
   */
  key: string;
  createdAt: string;
}

/** `["*"]` subscribes to every event. */
export type SubscribedEvent = EventType | '*';

export interface WebhookEndpoint {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  events: SubscribedEvent[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  /** When it was disabled (by the API, a 410 answer or sustained failure); null while enabled. */
  disabledAt: string | null;
  /**
   * Start of the current run of failed attempts (every attempt since then failed); null once one succeeds or the
   * endpoint is enabled again. After WEBHOOK_DISABLE_AFTER of it the endpoint is disabled (`endpoint.disabled`).
   */
  failingSince: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The answer to creating an endpoint: its signing secret (`whsec_…`) is shown this once. */
export interface CreatedWebhookEndpoint extends WebhookEndpoint {
  /** Null on an Idempotency-Key replay, as `CreatedApiKey.key`: delete the endpoint and create it again. */
  secret: string;
}

export interface DeliveryAttempt {
  eventId: string;
  attempt: number;
  status: 'succeeded' | 'failed' | 'pending';
  responseStatus: number | null;
  durationMs: number | null;
  error?: string | null;
  /** Why no 2xx came: http_status, redirect, timeout, connection, dns, refused (private address), invalid_url. */
  errorKind?: string | null;
  /** The first 1 KB of the receiver's answer. */
  responseBody?: string | null;
  /** When it was made, or for a pending one when it is due. */
  at: string;
}

/** The answer to rotating an endpoint's secret: the new secret, shown this once. */
export interface RotatedWebhookEndpoint extends CreatedWebhookEndpoint {
  /** Until then each delivery is also signed with the previous secret. */
  previousSecretExpiresAt: string | null;
}

export interface RecoverResult {
  endpointId: string;
  since: string;
  /** Failed deliveries started over. */
  recovered: number;
}

/** A delivery that failed after its last attempt. */
export interface DeadLetter {
  eventId: string;
  eventType: EventType;
  attempts: number;
  lastResponseStatus: number | null;
  lastError: string | null;
  createdAt: string;
  failedAt: string;
}

export interface DeadLetterPage {
  data: DeadLetter[];
  /** Pass as `before` for the next page; null on the last one. */
  nextBefore: string | null;
}

/** One attempt at delivering an event to one endpoint. */
export interface EventAttempt {
  eventId: string;
  endpointId: string;
  attempt: number;
  status: 'succeeded' | 'failed';
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
  errorKind: string | null;
  responseBody: string | null;
  at: string;
}

/** The data of `endpoint.disabled`. */
export interface DisabledEndpointData {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  enabled: false;
  failingSince: string;
  disabledAt: string;
}

interface EventOf<T extends EventType, D> {
  id: string;
  object: 'event';
  type: T;
  timestamp: string;
  /**
   * The resource's version after this change, increasing per resource: deliveries may arrive out of order, so a
   * consumer that has applied a higher sequence for `data.id` drops this one as stale.
   */
  sequence?: number;
  data: D;
}
/** An event as `GET /v1/events` shows it; `data` is the payment, the payout or the endpoint, by `type`. */
export type Event =
  | EventOf<PaymentEventType, Payment>
  | EventOf<PayoutEventType, Payout>
  | EventOf<EndpointEventType, DisabledEndpointData>;

interface WebhookEventOf<T extends EventType, D> {
  id: string;
  type: T;
  timestamp: string;
  /** See Event.sequence. */
  sequence?: number;
  data: D;
}
export type PaymentWebhookEvent = WebhookEventOf<PaymentEventType, Payment>;
export type PayoutWebhookEvent = WebhookEventOf<PayoutEventType, Payout>;
/** The body POSTed to a webhook endpoint (what `verifyWebhook` returns); `webhook-id` is its `id`. */
export type WebhookEvent =
  | WebhookEventOf<PaymentEventType, Payment>
  | WebhookEventOf<PayoutEventType, Payout>
  | WebhookEventOf<EndpointEventType, DisabledEndpointData>;

export interface RedeliverResult {
  eventId: string;
  deliveries: Array<{ endpointId: string; status: 'pending' }>;
}

// ---------------------------------------------------------------------------------------------------------------
// Pages and errors

/** One page of a list; pass `nextCursor` as `cursor` for the next one (null on the last page). */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** A list the gateway answers whole. */
export interface List<T> {
  data: T[];
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** Every error body of the gateway. The same id is in the `X-Request-Id` header. */
export interface ErrorEnvelope {
  error: {
    type: ApiErrorType | (string & {});
    code: string;
    message: string;
    /** Validation: a list of `{field, message}`; provider errors: `{provider, providerStatus, paymentId?}`. */
    details?: FieldProblem[] | Record<string, unknown>;
  };
  requestId: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs

export interface CreatePaymentInput {
  amount: number;
  currency: string;
  description: string;
  reference?: string;
  provider?: ProviderName;
  payer?: { name: string; email: string; reference?: string };
  payee?: { name?: string; reference?: string; bankId?: string; accountNumber?: string; accountName?: string };
  /** String values, at most 20 keys. */
  metadata?: Record<string, string>;
}

export interface UpdatePaymentInput {
  description?: string;
  amount?: number;
  metadata?: Record<string, string>;
}

export interface PageParams {
  /** 1-100, default 20. */
  limit?: number;
  cursor?: string;
}

export interface ListPaymentsParams extends PageParams {
  status?: PaymentStatus;
  provider?: ProviderName;
  reference?: string;
  archived?: boolean;
}

/** Send exactly one of `beneficiaryId` and `destination`. */
export interface CreatePayoutInput {
  amount: number;
  currency: string;
  beneficiaryId?: string;
  destination?: BankDestination;
  reference?: string;
  description?: string;
  provider?: ProviderName;
}

export interface ListBeneficiariesParams {
  provider?: ProviderName;
}

export interface CreateApiKeyInput {
  name: string;
  scopes: Scope[];
}

export interface CreateWebhookEndpointInput {
  url: string;
  events: SubscribedEvent[];
  description?: string;
}

export interface UpdateWebhookEndpointInput {
  url?: string;
  events?: SubscribedEvent[];
  description?: string;
  enabled?: boolean;
}

export interface ListDeliveriesParams {
  limit?: number;
}

export interface ListEventsParams extends PageParams {
  type?: EventType;
}

export interface RedeliverInput {
  /** One endpoint; else every endpoint now subscribed to the event. */
  endpointId?: string;
}

export interface RecoverInput {
  /** ISO-8601: failed deliveries of events created at or after this time are sent again. */
  since: string;
}

export interface ListDeadLettersParams {
  limit?: number;
  /** `nextBefore` of the previous page. */
  before?: string;
}

export interface ListEventAttemptsParams {
  limit?: number;
  /** Only the attempts to this endpoint (one delivery). */
  endpointId?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Field lists: each wire type's keys at runtime, `true` for a required key and 'optional' for an optional one.
// `satisfies FieldSpec<T>` makes the compiler fail when a list misses a key of its type, names a key the type does not
// have, or marks a key's optionality wrongly. The contract test compares them with the gateway's OpenAPI document.

type OptionalKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? K : never }[keyof T];
/** `{key: true}` for each required key of T, `{key: 'optional'}` for each optional one. */
export type FieldSpec<T> = { [K in keyof T]-?: K extends OptionalKeys<T> ? 'optional' : true };

export const PAYER_FIELDS = { name: true, email: true, reference: 'optional' } as const satisfies FieldSpec<Payer>;

export const PAYEE_FIELDS = {
  name: 'optional', reference: 'optional', bankId: 'optional', accountNumber: 'optional', accountName: 'optional',
} as const satisfies FieldSpec<Payee>;

export const PAYMENT_FIELDS = {
  id: true, object: true, provider: true, providerPaymentId: true, amount: true, currency: true, description: true,
  reference: true, status: true, providerStatus: true, archived: true, checkoutUrl: true, payer: true, payee: true,
  metadata: true, createdAt: true, updatedAt: true,
} as const satisfies FieldSpec<Payment>;

export const PAYOUT_DESTINATION_FIELDS = {
  bankId: 'optional', accountNumber: 'optional', accountName: 'optional', beneficiaryId: 'optional',
} as const satisfies FieldSpec<PayoutDestination>;

export const PAYOUT_FIELDS = {
  id: true, object: true, provider: true, providerPayoutId: true, amount: true, currency: true, status: true,
  providerStatus: true, destination: true, reference: true, description: true, createdAt: true, updatedAt: true,
} as const satisfies FieldSpec<Payout>;

export const TRANSACTION_PAYER_FIELDS = { name: true, email: true, reference: true } as const satisfies FieldSpec<TransactionPayer>;

export const TRANSACTION_FIELDS = {
  id: true, object: true, amount: true, currency: true, status: true, providerStatus: true, message: true, payer: true,
  paidAt: true, createdAt: true,
} as const satisfies FieldSpec<Transaction>;

export const BENEFICIARY_FIELDS = {
  id: true, name: true, bankId: true, accountNumber: true, accountName: true,
} as const satisfies FieldSpec<Beneficiary>;

export const PROVIDER_INFO_FIELDS = {
  name: true, default: true, currencies: true, capabilities: true, configured: true,
} as const satisfies FieldSpec<ProviderInfo>;

export const API_KEY_FIELDS = {
  id: true, name: true, scopes: true, keyPrefix: true, createdAt: true,
} as const satisfies FieldSpec<ApiKey>;

export const CREATED_API_KEY_FIELDS = {
  id: true, name: true, scopes: true, key: true, createdAt: true,
} as const satisfies FieldSpec<CreatedApiKey>;

export const WEBHOOK_ENDPOINT_FIELDS = {
  id: true, object: true, url: true, events: true, description: true, enabled: true, disabledReason: true,
  disabledAt: true, failingSince: true, createdAt: true, updatedAt: true,
} as const satisfies FieldSpec<WebhookEndpoint>;

export const CREATED_WEBHOOK_ENDPOINT_FIELDS = {
  id: true, object: true, url: true, events: true, description: true, enabled: true, disabledReason: true,
  disabledAt: true, failingSince: true, createdAt: true, updatedAt: true, secret: true,
} as const satisfies FieldSpec<CreatedWebhookEndpoint>;

export const DELIVERY_ATTEMPT_FIELDS = {
  eventId: true, attempt: true, status: true, responseStatus: true, durationMs: true, error: 'optional', errorKind: 'optional',
  responseBody: 'optional', at: true,
} as const satisfies FieldSpec<DeliveryAttempt>;

export const ROTATED_WEBHOOK_ENDPOINT_FIELDS = {
  ...CREATED_WEBHOOK_ENDPOINT_FIELDS, previousSecretExpiresAt: true,
} as const satisfies FieldSpec<RotatedWebhookEndpoint>;

export const RECOVER_RESULT_FIELDS = { endpointId: true, since: true, recovered: true } as const satisfies FieldSpec<RecoverResult>;

export const DEAD_LETTER_FIELDS = {
  eventId: true, eventType: true, attempts: true, lastResponseStatus: true, lastError: true, createdAt: true, failedAt: true,
} as const satisfies FieldSpec<DeadLetter>;

export const DEAD_LETTER_PAGE_FIELDS = { data: true, nextBefore: true } as const satisfies FieldSpec<DeadLetterPage>;

export const EVENT_ATTEMPT_FIELDS = {
  eventId: true, endpointId: true, attempt: true, status: true, responseStatus: true, durationMs: true, error: true,
  errorKind: true, responseBody: true, at: true,
} as const satisfies FieldSpec<EventAttempt>;

export const EVENT_FIELDS = {
  id: true, object: true, type: true, timestamp: true, sequence: 'optional', data: true,
} as const satisfies FieldSpec<Event>;

export const WEBHOOK_EVENT_FIELDS = {
  id: true, type: true, timestamp: true, sequence: 'optional', data: true,
} as const satisfies FieldSpec<WebhookEvent>;

export const REDELIVER_RESULT_FIELDS = { eventId: true, deliveries: true } as const satisfies FieldSpec<RedeliverResult>;

export const ERROR_ENVELOPE_FIELDS = { error: true, requestId: true } as const satisfies FieldSpec<ErrorEnvelope>;

/**
 * Each response type's fields by the name of its schema in the gateway's OpenAPI document (`components.schemas`),
 * for the contract test.
 */
export const RESPONSE_FIELDS = {
  Payer: PAYER_FIELDS,
  Payee: PAYEE_FIELDS,
  Payment: PAYMENT_FIELDS,
  PayoutDestination: PAYOUT_DESTINATION_FIELDS,
  Payout: PAYOUT_FIELDS,
  TransactionPayer: TRANSACTION_PAYER_FIELDS,
  Transaction: TRANSACTION_FIELDS,
  Beneficiary: BENEFICIARY_FIELDS,
  ProviderInfo: PROVIDER_INFO_FIELDS,
  ApiKey: API_KEY_FIELDS,
  CreatedApiKey: CREATED_API_KEY_FIELDS,
  WebhookEndpoint: WEBHOOK_ENDPOINT_FIELDS,
  CreatedWebhookEndpoint: CREATED_WEBHOOK_ENDPOINT_FIELDS,
  DeliveryAttempt: DELIVERY_ATTEMPT_FIELDS,
  RotatedWebhookEndpoint: ROTATED_WEBHOOK_ENDPOINT_FIELDS,
  RecoverResult: RECOVER_RESULT_FIELDS,
  DeadLetter: DEAD_LETTER_FIELDS,
  DeadLetterPage: DEAD_LETTER_PAGE_FIELDS,
  EventAttempt: EVENT_ATTEMPT_FIELDS,
  Event: EVENT_FIELDS,
  RedeliverResult: REDELIVER_RESULT_FIELDS,
  ErrorEnvelope: ERROR_ENVELOPE_FIELDS,
} as const satisfies Record<string, Record<string, true | 'optional'>>;

// Inputs: request bodies and query parameters, by the operation of `ROUTES` that takes them.

export const CREATE_PAYMENT_INPUT_FIELDS = {
  amount: true, currency: true, description: true, reference: 'optional', provider: 'optional', payer: 'optional',
  payee: 'optional', metadata: 'optional',
} as const satisfies FieldSpec<CreatePaymentInput>;
export const UPDATE_PAYMENT_INPUT_FIELDS = { description: 'optional', amount: 'optional', metadata: 'optional' } as const satisfies FieldSpec<UpdatePaymentInput>;
export const CREATE_PAYOUT_INPUT_FIELDS = {
  amount: true, currency: true, beneficiaryId: 'optional', destination: 'optional', reference: 'optional',
  description: 'optional', provider: 'optional',
} as const satisfies FieldSpec<CreatePayoutInput>;
export const CREATE_API_KEY_INPUT_FIELDS = { name: true, scopes: true } as const satisfies FieldSpec<CreateApiKeyInput>;
export const CREATE_WEBHOOK_ENDPOINT_INPUT_FIELDS = { url: true, events: true, description: 'optional' } as const satisfies FieldSpec<CreateWebhookEndpointInput>;
export const UPDATE_WEBHOOK_ENDPOINT_INPUT_FIELDS = {
  url: 'optional', events: 'optional', description: 'optional', enabled: 'optional',
} as const satisfies FieldSpec<UpdateWebhookEndpointInput>;
export const REDELIVER_INPUT_FIELDS = { endpointId: 'optional' } as const satisfies FieldSpec<RedeliverInput>;
export const RECOVER_INPUT_FIELDS = { since: true } as const satisfies FieldSpec<RecoverInput>;

export const PAGE_PARAMS = { limit: 'optional', cursor: 'optional' } as const satisfies FieldSpec<PageParams>;
export const LIST_PAYMENTS_PARAMS = {
  ...PAGE_PARAMS, status: 'optional', provider: 'optional', reference: 'optional', archived: 'optional',
} as const satisfies FieldSpec<ListPaymentsParams>;
export const LIST_EVENTS_PARAMS = { ...PAGE_PARAMS, type: 'optional' } as const satisfies FieldSpec<ListEventsParams>;
export const LIST_BENEFICIARIES_PARAMS = { provider: 'optional' } as const satisfies FieldSpec<ListBeneficiariesParams>;
export const LIST_DELIVERIES_PARAMS = { limit: 'optional' } as const satisfies FieldSpec<ListDeliveriesParams>;
export const LIST_DEAD_LETTERS_PARAMS = { limit: 'optional', before: 'optional' } as const satisfies FieldSpec<ListDeadLettersParams>;
export const LIST_EVENT_ATTEMPTS_PARAMS = { limit: 'optional', endpointId: 'optional' } as const satisfies FieldSpec<ListEventAttemptsParams>;
