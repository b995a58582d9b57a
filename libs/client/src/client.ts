import { randomUUID } from 'node:crypto';
import { PaymentsApiError } from './errors';
import { backoffDelay, isRetryable, parseRetryAfter } from './retry';
import { expandPath, Operation, ROUTES } from './routes';
import type {
  ApiErrorType,
  ApiKey,
  Beneficiary,
  CreateApiKeyInput,
  CreatedApiKey,
  CreatedWebhookEndpoint,
  DeadLetterPage,
  EventAttempt,
  ListDeadLettersParams,
  ListEventAttemptsParams,
  RecoverInput,
  RecoverResult,
  RotatedWebhookEndpoint,
  CreatePaymentInput,
  CreatePayoutInput,
  CreateWebhookEndpointInput,
  DeliveryAttempt,
  Event,
  List,
  ListBeneficiariesParams,
  ListDeliveriesParams,
  ListEventsParams,
  ListPaymentsParams,
  Page,
  PageParams,
  Payment,
  Payout,
  ProviderInfo,
  RedeliverInput,
  RedeliverResult,
  Transaction,
  UpdatePaymentInput,
  UpdateWebhookEndpointInput,
  WebhookEndpoint,
} from './types';

export const CLIENT_VERSION = '0.1.0';

export interface RetryInfo {
  method: string;
  path: string;
  /** The attempt that just failed (1 for the first). */
  attempt: number;
  delayMs: number;
  error: PaymentsApiError;
  idempotencyKey: string | null;
}

export interface PaymentsClientOptions {
  /** e.g. `http://127.0.0.1:3000` (no trailing `/v1`). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** Per attempt, in milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** Further attempts after the first, when retrying is safe (see `isRetryable`). Default 3. */
  retries?: number;
  /** First backoff delay; doubles each retry, with jitter. Default 250 ms. */
  retryBaseDelayMs?: number;
  /** Largest backoff delay. Default 5 000 ms. */
  retryMaxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the error is thrown. Default 60 000 ms. */
  maxRetryAfterMs?: number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Called before each retry (for logs and metrics). */
  onRetry?: (info: RetryInfo) => void;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
}

/** Per call. */
export interface CallOptions {
  /** POST only: the Idempotency-Key to send (1-255 printable characters). Default: a new random UUID per call. */
  idempotencyKey?: string;
  timeoutMs?: number;
  retries?: number;
  /** Sent as `X-Request-Id`; the gateway keeps it for its logs and answers it back. */
  requestId?: string;
  signal?: AbortSignal;
}

interface RequestSpec {
  params?: Record<string, string>;
  query?: object;
  body?: unknown;
}

/** Walks every page: `fetchPage(cursor)` is called with each `nextCursor` until it is null. */
export async function* paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.data;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/**
 * A typed client for the gateway's /v1 API. Every method returns the parsed answer or throws `PaymentsApiError`.
 *
 * Retries: up to `retries` more attempts with exponential backoff and jitter, only where safe (see `isRetryable` in
 * retry.ts): every POST carries an `Idempotency-Key`, the same on every attempt, so a retried create never creates
 * twice. Each attempt has its own `timeoutMs`.
 */
export class PaymentsClient {
  readonly payments: PaymentsResource;
  readonly payouts: PayoutsResource;
  readonly beneficiaries: BeneficiariesResource;
  readonly providers: ProvidersResource;
  readonly apiKeys: ApiKeysResource;
  readonly webhookEndpoints: WebhookEndpointsResource;
  readonly events: EventsResource;

  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: PaymentsClientOptions) {
    if (!options || typeof options.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl)) {
      throw new TypeError('PaymentsClient: baseUrl must be an http(s) URL');
    }
    if (typeof options.apiKey !== 'string' || options.apiKey === '') throw new TypeError('PaymentsClient: apiKey is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof this.fetchImpl !== 'function') throw new TypeError('PaymentsClient: no fetch (Node >= 20 has one)');
    this.payments = new PaymentsResource(this);
    this.payouts = new PayoutsResource(this);
    this.beneficiaries = new BeneficiariesResource(this);
    this.providers = new ProvidersResource(this);
    this.apiKeys = new ApiKeysResource(this);
    this.webhookEndpoints = new WebhookEndpointsResource(this);
    this.events = new EventsResource(this);
  }

  /** The same client with another API key (and otherwise the same options). */
  withApiKey(apiKey: string): PaymentsClient {
    return new PaymentsClient({ ...this.options, apiKey });
  }

  /** Calls one route of `ROUTES`. The resource methods are thin wrappers over this. */
  async request<T>(operation: Operation, spec: RequestSpec = {}, call: CallOptions = {}): Promise<T> {
    const route = ROUTES[operation];
    const { method } = route;
    const path = expandPath(route.path, spec.params) + queryString(spec.query);
    const retries = call.retries ?? this.options.retries ?? 3;
    const timeoutMs = call.timeoutMs ?? this.options.timeoutMs ?? 10_000;
    const idempotencyKey = method === 'POST' ? call.idempotencyKey ?? randomUUID() : null;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': `paygw-client/${CLIENT_VERSION}`,
      ...this.options.headers,
      authorization: `Bearer ${this.options.apiKey}`,
    };
    if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey;
    if (call.requestId) headers['x-request-id'] = call.requestId;
    // Serialized once: every attempt sends the same bytes, so the gateway sees the same request for the key.
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    if (body !== undefined) headers['content-type'] = 'application/json';

    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt<T>(method, path, headers, body, timeoutMs, call);
      if (outcome.ok) return outcome.value;
      const error = new PaymentsApiError({ ...outcome.error, method, path, idempotencyKey, attempts: attempt });
      const retryable =
        attempt <= retries &&
        isRetryable(method, { status: error.status, code: error.code, replayed: error.replayed, aborted: outcome.aborted });
      const maxRetryAfterMs = this.options.maxRetryAfterMs ?? 60_000;
      if (!retryable || (error.retryAfterMs !== null && error.retryAfterMs > maxRetryAfterMs)) throw error;
      const delayMs = backoffDelay(
        attempt,
        { baseDelayMs: this.options.retryBaseDelayMs ?? 250, maxDelayMs: this.options.retryMaxDelayMs ?? 5_000 },
        error.status === 429 || error.status === 503 ? error.retryAfterMs : null,
      );
      this.options.onRetry?.({ method, path, attempt, delayMs, error, idempotencyKey });
      if (!(await sleep(delayMs, call.signal))) {
        throw new PaymentsApiError({ type: 'network_error', code: 'aborted', message: 'The call was aborted', status: 0, method, path, idempotencyKey, attempts: attempt, cause: call.signal?.reason });
      }
    }
  }

  private async attempt<T>(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    call: CallOptions,
  ): Promise<{ ok: true; value: T } | { ok: false; aborted: boolean; error: ConstructorParameters<typeof PaymentsApiError>[0] }> {
    const timeout = AbortSignal.timeout(timeoutMs);
    // AbortSignal.any is Node >= 20.3; before it a caller's signal is only checked between attempts.
    const signal = call.signal && typeof AbortSignal.any === 'function' ? AbortSignal.any([call.signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(this.baseUrl + path, { method, headers, body, signal });
      text = await response.text();
    } catch (cause) {
      if (call.signal?.aborted) {
        return { ok: false, aborted: true, error: { type: 'network_error', code: 'aborted', message: 'The call was aborted', status: 0, requestId: call.requestId, cause } };
      }
      if (timeout.aborted || (cause as Error)?.name === 'TimeoutError') {
        return { ok: false, aborted: false, error: { type: 'timeout', code: 'timeout', message: `No answer within ${timeoutMs} ms: ${method} ${path}`, status: 0, requestId: call.requestId, cause } };
      }
      const code = networkCode(cause);
      return {
        ok: false,
        aborted: false,
        error: { type: 'network_error', code, message: `Could not reach the gateway (${code}): ${method} ${path}`, status: 0, requestId: call.requestId, cause },
      };
    }

    const headerRequestId = response.headers.get('x-request-id');
    let parsed: unknown = undefined;
    let parseFailed = false;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parseFailed = true;
      }
    }
    if (response.ok) {
      if (parseFailed) {
        return { ok: false, aborted: false, error: { type: 'internal', code: 'invalid_response', message: `The gateway answered ${response.status} with a body that is not JSON`, status: response.status, requestId: headerRequestId } };
      }
      return { ok: true, value: parsed as T };
    }
    const replayed = response.headers.get('idempotent-replayed') === 'true';
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    if (PaymentsApiError.isEnvelope(parsed)) {
      const { error, requestId } = parsed;
      return {
        ok: false,
        aborted: false,
        error: { type: error.type, code: error.code, message: error.message, details: error.details, status: response.status, requestId: requestId ?? headerRequestId, replayed, retryAfterMs },
      };
    }
    // Not the gateway's envelope (a proxy in between, say): typed by status.
    return {
      ok: false,
      aborted: false,
      error: { type: typeForStatus(response.status), code: `http_${response.status}`, message: `${method} ${path} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`, status: response.status, requestId: headerRequestId, replayed, retryAfterMs },
    };
  }
}

function typeForStatus(status: number): ApiErrorType {
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limited';
  if (status === 502) return 'provider_error';
  if (status === 503) return 'unavailable';
  if (status === 504) return 'provider_timeout';
  if (status >= 500) return 'internal';
  return 'invalid_request';
}

function networkCode(error: unknown): string {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return 'fetch_failed';
}

function queryString(query: object | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    search.append(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Resolves true after `ms`, or false at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Resources

abstract class Resource {
  constructor(protected readonly client: PaymentsClient) {}
}

export class PaymentsResource extends Resource {
  /** `POST /v1/payments`. */
  create(input: CreatePaymentInput, options?: CallOptions): Promise<Payment> {
    return this.client.request('createPayment', { body: input }, options);
  }
  /** `GET /v1/payments`: one page, newest first. */
  list(params: ListPaymentsParams = {}, options?: CallOptions): Promise<Page<Payment>> {
    return this.client.request('listPayments', { query: params }, options);
  }
  /** Every payment matching `params`, page after page. */
  listAll(params: Omit<ListPaymentsParams, 'cursor'> = {}, options?: CallOptions): AsyncGenerator<Payment, void, undefined> {
    return paginate((cursor) => this.list({ ...params, cursor }, options));
  }
  get(id: string, options?: CallOptions): Promise<Payment> {
    return this.client.request('getPayment', { params: { id } }, options);
  }
  /** `PATCH /v1/payments/{id}`: description and amount need the provider's `payments.update` capability. */
  update(id: string, input: UpdatePaymentInput, options?: CallOptions): Promise<Payment> {
    return this.client.request('updatePayment', { params: { id }, body: input }, options);
  }
  /** `DELETE /v1/payments/{id}`: the payment stays, with status `cancelled`. */
  cancel(id: string, options?: CallOptions): Promise<Payment> {
    return this.client.request('cancelPayment', { params: { id } }, options);
  }
  archive(id: string, options?: CallOptions): Promise<Payment> {
    return this.client.request('archivePayment', { params: { id } }, options);
  }
  unarchive(id: string, options?: CallOptions): Promise<Payment> {
    return this.client.request('unarchivePayment', { params: { id } }, options);
  }
  /** The provider's attempts to collect it, normalized. */
  transactions(id: string, options?: CallOptions): Promise<List<Transaction>> {
    return this.client.request('listPaymentTransactions', { params: { id } }, options);
  }
  /** Re-reads the payment from its provider now. */
  refresh(id: string, options?: CallOptions): Promise<Payment> {
    return this.client.request('refreshPayment', { params: { id } }, options);
  }
}

export class PayoutsResource extends Resource {
  create(input: CreatePayoutInput, options?: CallOptions): Promise<Payout> {
    return this.client.request('createPayout', { body: input }, options);
  }
  list(params: PageParams = {}, options?: CallOptions): Promise<Page<Payout>> {
    return this.client.request('listPayouts', { query: params }, options);
  }
  listAll(params: Omit<PageParams, 'cursor'> = {}, options?: CallOptions): AsyncGenerator<Payout, void, undefined> {
    return paginate((cursor) => this.list({ ...params, cursor }, options));
  }
  get(id: string, options?: CallOptions): Promise<Payout> {
    return this.client.request('getPayout', { params: { id } }, options);
  }
  refresh(id: string, options?: CallOptions): Promise<Payout> {
    return this.client.request('refreshPayout', { params: { id } }, options);
  }
}

export class BeneficiariesResource extends Resource {
  list(params: ListBeneficiariesParams = {}, options?: CallOptions): Promise<List<Beneficiary>> {
    return this.client.request('listBeneficiaries', { query: params }, options);
  }
}

export class ProvidersResource extends Resource {
  list(options?: CallOptions): Promise<List<ProviderInfo>> {
    return this.client.request('listProviders', {}, options);
  }
}

/** Needs the admin scope. */
export class ApiKeysResource extends Resource {
  /** The answer's `key` is shown this once. */
  create(input: CreateApiKeyInput, options?: CallOptions): Promise<CreatedApiKey> {
    return this.client.request('createApiKey', { body: input }, options);
  }
  list(options?: CallOptions): Promise<List<ApiKey>> {
    return this.client.request('listApiKeys', {}, options);
  }
  async revoke(id: string, options?: CallOptions): Promise<void> {
    await this.client.request('revokeApiKey', { params: { id } }, options);
  }
}

export class WebhookEndpointsResource extends Resource {
  /** The answer's `secret` (`whsec_…`, for `verifyWebhook`) is shown this once. */
  create(input: CreateWebhookEndpointInput, options?: CallOptions): Promise<CreatedWebhookEndpoint> {
    return this.client.request('createWebhookEndpoint', { body: input }, options);
  }
  list(options?: CallOptions): Promise<List<WebhookEndpoint>> {
    return this.client.request('listWebhookEndpoints', {}, options);
  }
  get(id: string, options?: CallOptions): Promise<WebhookEndpoint> {
    return this.client.request('getWebhookEndpoint', { params: { id } }, options);
  }
  update(id: string, input: UpdateWebhookEndpointInput, options?: CallOptions): Promise<WebhookEndpoint> {
    return this.client.request('updateWebhookEndpoint', { params: { id }, body: input }, options);
  }
  async delete(id: string, options?: CallOptions): Promise<void> {
    await this.client.request('deleteWebhookEndpoint', { params: { id } }, options);
  }
  /** Delivery attempts to this endpoint, pending ones first. */
  deliveries(id: string, params: ListDeliveriesParams = {}, options?: CallOptions): Promise<List<DeliveryAttempt>> {
    return this.client.request('listWebhookDeliveries', { params: { id }, query: params }, options);
  }
  /**
   * A new signing secret, shown this once. Until `previousSecretExpiresAt` each delivery is signed with both: pass
   * `[newSecret, oldSecret]` to `verifyWebhook` while your receivers switch over.
   */
  rotateSecret(id: string, options?: CallOptions): Promise<RotatedWebhookEndpoint> {
    return this.client.request('rotateWebhookSecret', { params: { id } }, options);
  }
  /** Sends again every delivery to this endpoint that failed for good, of events created since `input.since`. */
  recover(id: string, input: RecoverInput, options?: CallOptions): Promise<RecoverResult> {
    return this.client.request('recoverWebhookEndpoint', { params: { id }, body: input }, options);
  }
  /** Deliveries to this endpoint that failed after their last attempt, newest first. */
  deadLetters(id: string, params: ListDeadLettersParams = {}, options?: CallOptions): Promise<DeadLetterPage> {
    return this.client.request('listDeadLetters', { params: { id }, query: params }, options);
  }
}

export class EventsResource extends Resource {
  list(params: ListEventsParams = {}, options?: CallOptions): Promise<Page<Event>> {
    return this.client.request('listEvents', { query: params }, options);
  }
  listAll(params: Omit<ListEventsParams, 'cursor'> = {}, options?: CallOptions): AsyncGenerator<Event, void, undefined> {
    return paginate((cursor) => this.list({ ...params, cursor }, options));
  }
  get(id: string, options?: CallOptions): Promise<Event> {
    return this.client.request('getEvent', { params: { id } }, options);
  }
  /** Delivers the event again, to one endpoint or to every endpoint now subscribed to it. */
  redeliver(id: string, input: RedeliverInput = {}, options?: CallOptions): Promise<RedeliverResult> {
    return this.client.request('redeliverEvent', { params: { id }, body: input }, options);
  }
  /** Every attempt at delivering this event (to one endpoint with `endpointId`), oldest first. */
  attempts(id: string, params: ListEventAttemptsParams = {}, options?: CallOptions): Promise<List<EventAttempt>> {
    return this.client.request('listEventAttempts', { params: { id }, query: params }, options);
  }
}
