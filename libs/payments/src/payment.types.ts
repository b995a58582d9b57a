export const PROVIDER_NAMES = ['flexiqash', 'flashpay'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value);
}

export const PAYMENT_STATUSES = ['pending', 'succeeded', 'failed', 'cancelled', 'expired'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const PAYOUT_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

export interface Payer {
  name: string;
  email: string;
  reference?: string | null;
}

export interface Payee {
  name?: string | null;
  reference?: string | null;
  bankId?: string | null;
  accountNumber?: string | null;
  accountName?: string | null;
}

export interface BankDestination {
  bankId: string;
  accountNumber: string;
  accountName: string;
}

/** The normalized payment as the gateway's API shows it. Amounts are integer minor units. */
export interface Payment {
  id: string;
  object: 'payment';
  provider: ProviderName;
  providerPaymentId: string | null;
  amount: number;
  currency: string;
  description: string;
  reference: string | null;
  status: PaymentStatus;
  providerStatus: string | null;
  archived: boolean;
  checkoutUrl: string | null;
  payer: Payer | null;
  payee: Payee | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface Payout {
  id: string;
  object: 'payout';
  provider: ProviderName;
  providerPayoutId: string | null;
  amount: number;
  currency: string;
  status: PayoutStatus;
  providerStatus: string | null;
  destination: (Partial<BankDestination> & { beneficiaryId?: string | null }) | null;
  reference: string | null;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Transaction {
  id: string;
  object: 'transaction';
  amount: number | null;
  currency: string;
  status: 'succeeded' | 'failed' | 'pending';
  providerStatus: string | null;
  message: string | null;
  payer: { name: string | null; email: string | null; reference: string | null } | null;
  paidAt: string | null;
  createdAt: string | null;
}

export interface Beneficiary {
  id: string;
  name: string;
  bankId: string;
  accountNumber: string;
  accountName: string;
}
