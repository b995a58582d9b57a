import { Capability, PaymentProvider } from './provider.interface';

export class CapabilityError extends Error {
  constructor(
    readonly provider: string,
    readonly capability: Capability | 'currency',
    message: string,
  ) {
    super(message);
    this.name = 'CapabilityError';
  }
}

type MethodFor = {
  'payments.create': 'createPayment';
  'payments.read': 'getPayment';
  'payments.list': 'listPayments';
  'payments.update': 'updatePayment';
  'payments.cancel': 'cancelPayment';
  'payments.archive': 'archivePayment' | 'unarchivePayment';
  'payments.transactions': 'listTransactions';
  'payouts.create': 'createPayout';
  'payouts.read': 'getPayout';
  'beneficiaries.list': 'listBeneficiaries';
};

/**
 * The one place that answers "can this provider do that?". Returns the provider with the methods the capability
 * needs made non-optional, so callers cannot reach an operation without asking first.
 */
export function requireCapability<C extends Capability>(
  provider: PaymentProvider,
  capability: C,
): PaymentProvider & Required<Pick<PaymentProvider, MethodFor[C]>> {
  if (!provider.capabilities.has(capability)) {
    throw new CapabilityError(provider.name, capability, `${provider.name} does not support ${capability}`);
  }
  return provider as PaymentProvider & Required<Pick<PaymentProvider, MethodFor[C]>>;
}

export function requireCurrency(provider: PaymentProvider, currency: string): void {
  if (!provider.currencies.includes(currency)) {
    throw new CapabilityError(
      provider.name,
      'currency',
      `${provider.name} does not accept ${currency} (it accepts ${provider.currencies.join(', ') || 'nothing'})`,
    );
  }
}
