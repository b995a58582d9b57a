import {
  Capability,
  CapabilityError,
  PaymentProvider,
  ProviderPayment,
  requireCapability,
  requireCurrency,
} from '@app/payments';

function provider(capabilities: Capability[], currencies: string[]): PaymentProvider {
  const payment = {} as ProviderPayment;
  return {
    name: 'acme',
    capabilities: new Set(capabilities),
    currencies,
    configured: true,
    reachabilityUrl: 'http://127.0.0.1:1',
    health: () => ({ circuit: 'closed', recent: { calls: 0, errorRate: 0, p50Ms: null, p95Ms: null } }),
    createPayment: async () => payment,
    getPayment: async () => payment,
  };
}

describe('requireCapability', () => {
  it('returns the same provider when the capability is declared', () => {
    const p = provider(['payments.create', 'payouts.create'], ['NGN']);
    expect(requireCapability(p, 'payouts.create')).toBe(p);
  });

  it('throws CapabilityError naming provider and capability when it is missing', () => {
    const p = provider(['payments.create'], ['NGN']);
    let caught: unknown;
    try {
      requireCapability(p, 'payments.cancel');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CapabilityError);
    expect(caught).toMatchObject({ provider: 'acme', capability: 'payments.cancel', name: 'CapabilityError' });
    expect((caught as Error).message).toBe('acme does not support payments.cancel');
  });
});

describe('requireCurrency', () => {
  it('accepts a listed currency', () => {
    expect(() => requireCurrency(provider([], ['NGN', 'USD']), 'USD')).not.toThrow();
  });

  it('refuses an unlisted currency (case-sensitive), listing what it takes', () => {
    const p = provider([], ['NGN', 'GHS']);
    expect(() => requireCurrency(p, 'USD')).toThrow(CapabilityError);
    expect(() => requireCurrency(p, 'ngn')).toThrow(CapabilityError);
    expect(() => requireCurrency(p, 'USD')).toThrow('acme does not accept USD (it accepts NGN, GHS)');
    expect(() => requireCurrency(p, 'USD')).toThrow(expect.objectContaining({ provider: 'acme', capability: 'currency' }));
  });

  it('says "nothing" when the provider takes no currency', () => {
    expect(() => requireCurrency(provider([], []), 'USD')).toThrow('(it accepts nothing)');
  });
});
