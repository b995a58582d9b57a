import type { ApiErrorType, ErrorEnvelope, FieldProblem } from './types';

/** `error.type` of a failure that never got an answer from the gateway (status 0). */
export type TransportErrorType = 'network_error' | 'timeout';

export interface PaymentsApiErrorInit {
  type: ApiErrorType | TransportErrorType | (string & {});
  code: string;
  message: string;
  status: number;
  requestId?: string | null;
  details?: unknown;
  method?: string;
  path?: string;
  idempotencyKey?: string | null;
  attempts?: number;
  replayed?: boolean;
  retryAfterMs?: number | null;
  cause?: unknown;
}

/**
 * Every failure of a client call, whatever went wrong:
 * - the gateway answered an error (`status` ≥ 400): `type`, `code`, `message` and `details` come from its error
 *   envelope, `requestId` from the envelope or the `X-Request-Id` header;
 * - no answer: `status` 0, `type` `network_error` (connection refused or reset, DNS…; `code` names it, e.g.
 *   `ECONNREFUSED`) or `timeout` (`code` `timeout`: no answer within `timeoutMs`), `requestId` null unless the
 *   caller set one; `cause` holds the underlying error.
 * It is thrown after the client's retries are used up, and `attempts` says how many were made.
 */
export class PaymentsApiError extends Error {
  readonly type: PaymentsApiErrorInit['type'];
  readonly code: string;
  readonly status: number;
  readonly requestId: string | null;
  readonly details: unknown;
  readonly method?: string;
  readonly path?: string;
  /** The Idempotency-Key the client sent (POST): retry later with the same key to be safe from duplicates. */
  readonly idempotencyKey: string | null;
  readonly attempts: number;
  /** The gateway replayed a stored answer for this Idempotency-Key (`Idempotent-Replayed: true`). */
  readonly replayed: boolean;
  /** From `Retry-After`, when the gateway sent one. */
  readonly retryAfterMs: number | null;

  constructor(init: PaymentsApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'PaymentsApiError';
    this.type = init.type;
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId ?? null;
    this.details = init.details;
    this.method = init.method;
    this.path = init.path;
    this.idempotencyKey = init.idempotencyKey ?? null;
    this.attempts = init.attempts ?? 1;
    this.replayed = init.replayed ?? false;
    this.retryAfterMs = init.retryAfterMs ?? null;
  }

  /** The `{field, message}` list of a validation error, else []. */
  get fieldProblems(): FieldProblem[] {
    return Array.isArray(this.details) ? (this.details as FieldProblem[]) : [];
  }

  /** True when the request never got an answer (network error or timeout). */
  get isTransport(): boolean {
    return this.status === 0;
  }

  static isEnvelope(body: unknown): body is ErrorEnvelope {
    if (!body || typeof body !== 'object') return false;
    const error = (body as { error?: unknown }).error;
    return !!error && typeof error === 'object' && typeof (error as { type?: unknown }).type === 'string' && typeof (error as { code?: unknown }).code === 'string';
  }
}

/** Thrown by `verifyWebhook` when a delivery is not authentic or not fresh. `code` says why. */
export class WebhookVerificationError extends Error {
  constructor(
    readonly code:
      | 'missing_headers'
      | 'invalid_timestamp'
      | 'timestamp_too_old'
      | 'timestamp_too_new'
      | 'invalid_signature'
      | 'invalid_secret'
      | 'invalid_payload',
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}
