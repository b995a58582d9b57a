import { ApiError } from '@app/common';
import { CapabilityError, ProviderError, ProviderErrorKind } from '@app/payments';
import { confirmationFailedError, createOutcomeOf, unknownOutcomeError } from './create-protocol';

describe('the create protocol', () => {
  it.each<[ProviderErrorKind, 'nothing' | 'unknown']>([
    ['unreachable', 'nothing'],
    ['auth', 'nothing'],
    ['rejected', 'nothing'],
    ['not_found', 'nothing'],
    ['timeout', 'unknown'],
    ['server', 'unknown'],
    ['bad_response', 'unknown'],
  ])('a provider %s error leaves %s behind', (kind, outcome) => {
    expect(createOutcomeOf(new ProviderError('flashpay', kind, 'x'))).toBe(outcome);
    expect(new ProviderError('flashpay', kind, 'x').createOutcome).toBe(outcome);
  });

  it('an error raised before any call left nothing; any other error may follow an executed call', () => {
    expect(createOutcomeOf(new CapabilityError('flexiqash', 'payouts.create', 'no'))).toBe('nothing');
    expect(createOutcomeOf(ApiError.invalid('no'))).toBe('nothing');
    expect(createOutcomeOf(new TypeError('cannot read properties of undefined'))).toBe('unknown');
  });

  it('an unknown outcome names the resource in details, with the provider status of its error', () => {
    const timeout = unknownOutcomeError('payout', 'po_1', new ProviderError('flashpay', 'timeout', 'timed out'));
    expect(timeout).toMatchObject({ status: 504, type: 'provider_timeout', code: 'provider_timeout', details: { payoutId: 'po_1', provider: 'flashpay' } });
    expect(unknownOutcomeError('payment', 'pay_1', new ProviderError('flexiqash', 'server', 'boom', 503))).toMatchObject({
      status: 502,
      details: { paymentId: 'pay_1', providerStatus: 503 },
    });
    expect(unknownOutcomeError('payment', 'pay_1')).toMatchObject({ status: 504, code: 'provider_outcome_unknown', details: { paymentId: 'pay_1' } });
    expect(confirmationFailedError('payment', 'pay_1')).toMatchObject({ status: 500, code: 'confirmation_pending', details: { paymentId: 'pay_1' } });
  });
});
