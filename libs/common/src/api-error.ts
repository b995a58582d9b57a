export type ApiErrorType =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'conflict'
  | 'capability_not_supported'
  | 'rate_limited'
  | 'provider_error'
  | 'provider_unavailable'
  | 'provider_timeout'
  | 'unavailable'
  | 'internal';

export interface FieldProblem {
  field: string;
  message: string;
}

/** An error the gateway answers on purpose; the exception filter renders it in the contract's envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ApiErrorType,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static invalid(message: string, details?: FieldProblem[], code = 'validation_failed'): ApiError {
    return new ApiError(422, 'invalid_request', code, message, details);
  }

  static notFound(what: string): ApiError {
    return new ApiError(404, 'not_found', 'resource_not_found', `${what} not found`);
  }

  static conflict(code: string, message: string): ApiError {
    return new ApiError(409, 'conflict', code, message);
  }
}
