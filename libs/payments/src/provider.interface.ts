import { Beneficiary, BankDestination, Payee, Payer, PaymentStatus, PayoutStatus, ProviderName, Transaction } from './payment.types';

/**
 * What a provider can do. The gateway checks this set before calling a provider, so "this provider cannot do
 * that" is answered from one place (422 capability_not_supported), never from scattered ifs.
 */
export const CAPABILITIES = [
  'payments.create',
  'payments.read',
  'payments.list',
  'payments.update',
  'payments.cancel',
  'payments.archive',
  'payments.transactions',
  'payouts.create',
  'payouts.read',
  'beneficiaries.list',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface CreateProviderPaymentInput {
  /** The gateway's own id (pay_…); sent to the provider as its reference where the provider has such a field. */
  gatewayPaymentId: string;
  amount: number;
  currency: string;
  description: string;
  reference: string | null;
  payer: Payer | null;
  payee: Payee | null;
  metadata: Record<string, string>;
}

export interface UpdateProviderPaymentInput {
  description?: string;
  amount?: number;
  currency: string;
  metadata?: Record<string, string>;
}

/** A payment as a provider reports it, already normalized (integer minor units, gateway status). */
export interface ProviderPayment {
  providerPaymentId: string;
  amount: number;
  currency: string;
  description: string | null;
  status: PaymentStatus;
  providerStatus: string | null;
  checkoutUrl: string | null;
  /** The reference the provider holds for this payment, used to find it again after an ambiguous create. */
  reference: string | null;
  expiresAt: string | null;
  /**
   * What the payer paid, when the provider reports it apart from the payment's amount (FlexiQash: the paid
   * transaction's amount, which a later update of the payment does not change). A succeeded payment keeps this.
   */
  paidAmount?: number | null;
}

export interface CreateProviderPayoutInput {
  gatewayPayoutId: string;
  amount: number;
  currency: string;
  beneficiaryId: string | null;
  destination: BankDestination | null;
  reference: string | null;
  description: string | null;
}

export interface ProviderPayout {
  providerPayoutId: string;
  amount: number;
  currency: string;
  status: PayoutStatus;
  providerStatus: string | null;
  destination: BankDestination | null;
  reference: string | null;
}

/** What operators see of a provider's recent behaviour (GET /admin/providers, readiness). */
export interface ProviderHealthReport {
  circuit: 'closed' | 'open' | 'half_open';
  recent: { calls: number; errorRate: number; p50Ms: number | null; p95Ms: number | null };
}

export interface PaymentProvider {
  readonly name: ProviderName;
  readonly capabilities: ReadonlySet<Capability>;
  /** Currencies this provider account takes (upper-case ISO 4217). */
  readonly currencies: readonly string[];
  /** False when the provider's credentials or base URL are missing. */
  readonly configured: boolean;
  /** Circuit state and recent error rate and latency. */
  health(): ProviderHealthReport;

  createPayment(input: CreateProviderPaymentInput): Promise<ProviderPayment>;
  getPayment(providerPaymentId: string): Promise<ProviderPayment>;
  listPayments?(): Promise<ProviderPayment[]>;
  updatePayment?(providerPaymentId: string, input: UpdateProviderPaymentInput): Promise<void>;
  cancelPayment?(providerPaymentId: string): Promise<void>;
  archivePayment?(providerPaymentId: string): Promise<void>;
  unarchivePayment?(providerPaymentId: string): Promise<void>;
  listTransactions?(providerPaymentId: string, currency: string): Promise<Transaction[]>;
  listBeneficiaries?(): Promise<Beneficiary[]>;
  createPayout?(input: CreateProviderPayoutInput): Promise<ProviderPayout>;
  getPayout?(providerPayoutId: string): Promise<ProviderPayout>;
}

/** Injection token for the list of every PaymentProvider. */
export const PAYMENT_PROVIDERS = Symbol('PAYMENT_PROVIDERS');
