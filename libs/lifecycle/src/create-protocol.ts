import { ApiError, ApiErrorType } from '@app/common';
import { CapabilityError, CreateOutcome, ProviderError } from '@app/payments';

export type ResourceKind = 'payment' | 'payout';

/**
 * What a failed provider create left behind, for payments and payouts alike. A provider's answer is classified by
 * ProviderError.createOutcome; a capability or request error was raised before any call, so nothing happened;
 * anything else (a bug after the call, a mapping failure) may have followed an executed call: unknown.
 */
export function createOutcomeOf(error: unknown): CreateOutcome {
  if (error instanceof ProviderError) return error.createOutcome;
  if (error instanceof CapabilityError || error instanceof ApiError) return 'nothing';
  return 'unknown';
}

/**
 * The answer to a create whose outcome is unknown: the provider's error (504 for a timeout, 502 otherwise) with the
 * resource's id in `details`, so the caller follows that resource instead of creating another.
 */
export function unknownOutcomeError(kind: ResourceKind, id: string, error?: unknown): ApiError {
  const details = { [kind === 'payment' ? 'paymentId' : 'payoutId']: id } as Record<string, unknown>;
  const tail = `the ${kind} ${id} is pending until the gateway learns the outcome`;
  if (error instanceof ProviderError) {
    const { status, type, code } = error.http;
    return new ApiError(status, type as ApiErrorType, code, `${error.message}; ${tail}`, {
      provider: error.provider,
      providerStatus: error.providerStatus,
      ...details,
    });
  }
  return new ApiError(504, 'provider_timeout', 'provider_outcome_unknown', `The provider's outcome is not known yet; ${tail}`, details);
}

/** After the provider created the resource, the gateway failed to record it: answered naming the resource. */
export function confirmationFailedError(kind: ResourceKind, id: string): ApiError {
  const details = { [kind === 'payment' ? 'paymentId' : 'payoutId']: id };
  return new ApiError(500, 'internal', 'confirmation_pending', `The provider created the ${kind} ${id}; the gateway records it shortly`, details);
}
