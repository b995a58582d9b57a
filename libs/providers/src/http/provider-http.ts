import { ProviderError, ProviderErrorKind, ProviderName } from '@app/payments';
import { HttpTransport, NodeHttpTransport, TransportResponse } from './http-transport';
import type { ProviderLogger } from './provider-logger';
import type { ProviderTelemetry } from './provider-telemetry';

export type ProviderHttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface ProviderHttpOptions {
  provider: ProviderName;
  /** Scheme and host (and any path prefix), no trailing slash. */
  baseUrl: string;
  apiToken: string;
  timeoutMs: number;
  /** Headers sent on every call besides Authorization. */
  headers?: Record<string, string>;
  /** Waits before each retry of a GET; its length is the number of retries. */
  retryDelaysMs?: readonly number[];
  /** Circuit breaker and call statistics; without it every call goes out. */
  telemetry?: ProviderTelemetry;
}

export type { HttpTransport } from './http-transport';

/** What a provider takes besides AppConfig and the transport. */
export interface ProviderOptions {
  /** Waits before each GET retry (default 100 ms, 300 ms); tests shorten them. */
  retryDelaysMs?: readonly number[];
  /** Where unknown provider statuses are reported; ProvidersModule passes a Nest Logger. */
  logger?: ProviderLogger;
  /** Circuit breaker and call statistics (ProvidersModule makes one per provider). */
  telemetry?: ProviderTelemetry;
}

export interface ProviderHttpRequest {
  method: ProviderHttpMethod;
  /** Path below baseUrl, ids already encoded. */
  path: string;
  body?: unknown;
  /** A low-cardinality name for metrics (`createPayment`); defaults to the method. */
  operation?: string;
}

/** What a 2xx answer carried: the parsed JSON, or null for an empty body. */
export interface ProviderHttpResponse {
  status: number;
  body: unknown;
}

export const DEFAULT_GET_RETRY_DELAYS_MS: readonly number[] = [100, 300];

/** Well above any real provider answer; a larger body is treated as a bad response rather than buffered. */
const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ERR_INVALID_URL']);
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT']);

/**
 * The one HTTP path both provider clients use. Every failure leaves here as a ProviderError whose `kind` says what
 * the gateway may conclude:
 * - connection refused / DNS / no route: `unreachable`, certainly not executed, retryable for every method;
 * - our timeout: `timeout`; a reset or hang-up after the request went out: `server`. In both the provider may
 *   have acted, so `retryable` is true only for GET: a create/update/delete with an unknown outcome must be
 *   reconciled (read back), never repeated blindly;
 * - 401/403 `auth`, 404 `not_found`, other 4xx `rejected`, 5xx `server` (retryable only for GET), a 2xx/3xx we
 *   cannot read `bad_response`.
 * Only GETs are retried here (DEFAULT_GET_RETRY_DELAYS_MS); POST/PATCH/DELETE go out exactly once.
 *
 * Messages name the provider, method, path and status, plus the provider's own `message` when it sent one, with
 * the token redacted. The transport's error is never attached (its request carried the Authorization header).
 */
export class ProviderHttp {
  private readonly retryDelaysMs: readonly number[];
  private readonly transport: HttpTransport;
  /** The headers of every call, Authorization included, built once. */
  private readonly headers: Record<string, string>;

  constructor(
    private readonly options: ProviderHttpOptions,
    transport?: HttpTransport,
  ) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_GET_RETRY_DELAYS_MS;
    this.transport = transport ?? new NodeHttpTransport();
    this.headers = { 'User-Agent': 'payments-gateway', ...options.headers, Authorization: `Bearer ${options.apiToken}` };
  }

  get provider(): ProviderName {
    return this.options.provider;
  }

  async request(request: ProviderHttpRequest): Promise<ProviderHttpResponse> {
    const retries = request.method === 'GET' ? this.retryDelaysMs : [];
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.observed(request);
      } catch (error) {
        if (!(error instanceof ProviderError) || !error.retryable || attempt >= retries.length) throw error;
        await sleep(retries[attempt]);
      }
    }
  }

  /** A call whose answer must have a body: the parsed body, or a `bad_response` ProviderError when it was empty. */
  async requestBody(request: ProviderHttpRequest): Promise<unknown> {
    const response = await this.request(request);
    if (response.body === null) {
      const { method, path } = request;
      const name = this.provider;
      throw new ProviderError(name, 'bad_response', `${name} ${method} ${path} answered ${response.status} with an empty body`, response.status, false);
    }
    return response.body;
  }

  /**
   * One call through the circuit breaker, timed and recorded. An open circuit refuses the call before anything
   * is sent, so it is reported as `unreachable`: certainly not executed, which is what allows failover.
   */
  private async observed(request: ProviderHttpRequest): Promise<ProviderHttpResponse> {
    const telemetry = this.options.telemetry;
    const operation = request.operation ?? request.method;
    if (!telemetry) return this.once(request);
    if (!telemetry.breaker.tryAcquire()) {
      telemetry.record(operation, 'circuit_open', 0);
      throw new ProviderError(this.options.provider, 'unreachable', `${this.options.provider} circuit is open: not called`, null, false);
    }
    const started = performance.now();
    try {
      const response = await this.once(request);
      telemetry.record(operation, 'ok', performance.now() - started);
      return response;
    } catch (error) {
      telemetry.record(operation, error instanceof ProviderError ? error.kind : 'server', performance.now() - started);
      throw error;
    }
  }

  /** Closes idle keep-alive sockets (module shutdown, tests). */
  close(): void {
    this.transport.close();
  }

  private async once(request: ProviderHttpRequest): Promise<ProviderHttpResponse> {
    let response: TransportResponse;
    try {
      // Every status comes back as an answer and is classified below, from the text, so a plain-text 404
      // ("Payment not found") is never fed to JSON.parse. The timeout is a deadline for the whole call, so a
      // provider trickling bytes cannot hold it open either.
      response = await this.transport.send({
        method: request.method,
        url: new URL(this.options.baseUrl + request.path),
        headers: this.headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        timeoutMs: this.options.timeoutMs,
        maxResponseBytes: MAX_RESPONSE_BYTES,
      });
    } catch (error) {
      throw this.transportError(request, error);
    }
    return this.classify(request, response);
  }

  private classify(request: ProviderHttpRequest, response: TransportResponse): ProviderHttpResponse {
    const { status, text } = response;
    if (status >= 200 && status < 300) {
      if (text.trim() === '') return { status, body: null };
      try {
        return { status, body: JSON.parse(text) as unknown };
      } catch {
        throw this.error(request, 'bad_response', `answered ${status} with a body that is not JSON`, status);
      }
    }
    const detail = this.providerMessage(text);
    const said = detail ? `: ${detail}` : '';
    if (status === 401 || status === 403) throw this.error(request, 'auth', `answered ${status}${said}`, status);
    if (status === 404) throw this.error(request, 'not_found', `answered 404${said}`, status);
    if (status >= 400 && status < 500) throw this.error(request, 'rejected', `answered ${status}${said}`, status);
    if (status >= 500) throw this.error(request, 'server', `answered ${status}${said}`, status, request.method === 'GET');
    throw this.error(request, 'bad_response', `answered an unexpected ${status}`, status);
  }

  private transportError(request: ProviderHttpRequest, error: unknown): ProviderError {
    const code = errorCode(error);
    if (code && UNREACHABLE_CODES.has(code)) return this.error(request, 'unreachable', `could not connect (${code})`, null, true);
    if (code && TIMEOUT_CODES.has(code)) {
      return this.error(request, 'timeout', `no answer within ${this.options.timeoutMs} ms`, null, request.method === 'GET');
    }
    if (code === 'ERR_BAD_RESPONSE') {
      return this.error(request, 'bad_response', 'sent a response we could not read', null);
    }
    // ECONNRESET, "socket hang up", EPIPE and anything else after the request left: it may have been executed.
    return this.error(request, 'server', `connection failed (${code ?? 'unknown error'}); the outcome is unknown`, null, request.method === 'GET');
  }

  private error(
    request: ProviderHttpRequest,
    kind: ProviderErrorKind,
    what: string,
    status: number | null,
    retryable = false,
  ): ProviderError {
    const message = this.redact(`${this.options.provider} ${request.method} ${request.path} ${what}`);
    return new ProviderError(this.options.provider, kind, message, status, retryable);
  }

  /** The provider's own `message` (JSON) or a short plain-text body, for operators. */
  private providerMessage(text: string): string | null {
    const trimmed = text.trim();
    if (!trimmed) return null;
    let message = trimmed;
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (parsed && typeof parsed === 'object' && typeof (parsed as { message?: unknown }).message === 'string') {
        message = (parsed as { message: string }).message;
      } else {
        return null;
      }
    } catch {
      if (/^\s*</.test(trimmed)) return null; // an HTML error page says nothing useful
    }
    const oneLine = message.replace(/\s+/g, ' ');
    return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
  }

  private redact(text: string): string {
    const token = this.options.apiToken;
    return token ? text.split(token).join('[redacted]') : text;
  }
}

/** Node's error code, also when it sits on a cause or (dual-stack connects) inside an AggregateError. */
function errorCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const candidate = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof candidate.code === 'string') return candidate.code;
    current = candidate.cause ?? (Array.isArray(candidate.errors) ? candidate.errors[0] : undefined);
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
