import { PaymentProvider } from '@app/payments';
import { FlashpayProvider } from './flashpay/flashpay.provider';
import { FlexiqashProvider } from './flexiqash/flexiqash.provider';
import { ProviderRegistry, UnknownProviderError } from './provider.registry';
import { testConfig } from '../test-support/test-config';

describe('ProviderRegistry', () => {
  const config = testConfig();
  const flexiqash = new FlexiqashProvider(config);
  const flashpay = new FlashpayProvider(config);
  const registry = new ProviderRegistry([flexiqash, flashpay]);

  it('finds each provider by name and lists them all', () => {
    expect(registry.get('flexiqash')).toBe(flexiqash);
    expect(registry.get('flashpay')).toBe(flashpay);
    expect(registry.all()).toEqual([flexiqash, flashpay]);
    expect(registry.has('flashpay')).toBe(true);
    expect(registry.has('stripe')).toBe(false);
  });

  it('throws UnknownProviderError for an unknown name', () => {
    expect(() => registry.get('stripe')).toThrow(UnknownProviderError);
    expect(() => registry.get('constructor')).toThrow('unknown payment provider "constructor"');
  });

  it('refuses two providers with the same name', () => {
    expect(() => new ProviderRegistry([flexiqash, flexiqash as PaymentProvider])).toThrow(/registered twice/);
  });
});
