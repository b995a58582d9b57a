import { ProviderName } from './payment.types';

/**
 * Why a provider call failed, in terms the gateway acts on:
 * - `unreachable`: nothing reached the provider (connection refused, DNS, circuit open): certainly not executed.
 * - `timeout`: the request may or may not have been executed.
 * - `auth`: the provider refused our credentials.
 * - `not_found`: the provider does not know the resource.
 * - `rejected`: the provider answered 4xx to the request itself.
 * - `server`: the provider answered 5xx; it may or may not have executed the request.
 * - `bad_response`: the provider answered something we cannot read.
 */
export type ProviderErrorKind = 'unreachable' | 'timeout' | 'auth' | 'not_found' | 'rejected' | 'server' | 'bad_response';

/**
 * What a failed create left at the provider: `nothing` (it certainly did not act: nothing reached it, or it refused
 * the request itself or our credentials) or `unknown` (it may have acted: timeout, 5xx, an answer we cannot read).
 * `done` is the create that answered; it never reaches this error.
 */
export type CreateOutcome = 'nothing' | 'unknown';

export class ProviderError extends Error {
  constructor(
    readonly provider: ProviderName,
    readonly kind: ProviderErrorKind,
    message: string,
    /** The provider's HTTP status, when it answered. */
    readonly providerStatus: number | null = null,
    /** Whether the same call may succeed if repeated (reads only; creates are never blindly retried). */
    readonly retryable: boolean = kind === 'unreachable' || kind === 'timeout' || kind === 'server',
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  /** True when the provider certainly did not act on the request, so another provider may be tried. */
  get certainlyNotExecuted(): boolean {
    return this.kind === 'unreachable';
  }

  /**
   * The one definition of "certainly nothing happened" for a create, payments and payouts alike. `not_found` on a
   * create is a route the provider does not have: it refused the request.
   */
  get createOutcome(): CreateOutcome {
    switch (this.kind) {
      case 'unreachable':
      case 'auth':
      case 'rejected':
      case 'not_found':
        return 'nothing';
      case 'timeout':
      case 'server':
      case 'bad_response':
        return 'unknown';
    }
  }

  /** The gateway's HTTP status and error code for this failure (see CONTRACT.md, Errors). */
  get http(): { status: number; type: string; code: string } {
    switch (this.kind) {
      case 'unreachable':
        return { status: 503, type: 'provider_unavailable', code: 'provider_unreachable' };
      case 'timeout':
        return { status: 504, type: 'provider_timeout', code: 'provider_timeout' };
      case 'auth':
        return { status: 502, type: 'provider_error', code: 'provider_credentials_rejected' };
      case 'not_found':
        return { status: 404, type: 'not_found', code: 'provider_resource_not_found' };
      case 'rejected':
        return { status: 502, type: 'provider_error', code: 'provider_rejected_request' };
      case 'server':
        return { status: 502, type: 'provider_error', code: 'provider_server_error' };
      case 'bad_response':
        return { status: 502, type: 'provider_error', code: 'provider_bad_response' };
    }
  }
}
