import { isPlainObject } from './http';

export type FlashpayPaymentStatus = 'OPEN' | 'PAID' | 'FAILED' | 'EXPIRED';

/** The payment object of Flashpay's "Payment details" document, field for field. */
export interface FlashpayPayment {
  id: string;
  amount: number;
  ownerId: string;
  currency: string;
  reference: string;
  originBankId: string | null;
  originAccount: string | null;
  originAccountName: string | null;
  destinationBankId: string;
  destinationAccount: string;
  destinationAccountName: string;
  description: string;
  status: FlashpayPaymentStatus;
  callbackUrl: string;
  statusWebhook: string | null;
  createdAt: string;
  updatedAt: string | null;
  expiresAt: string | null;
}

/** Assumed shape: the document lists payouts but does not describe them. */
export interface FlashpayPayout {
  id: string;
  amount: number;
  currency: string;
  reference: string;
  description: string | null;
  beneficiaryId: string | null;
  destinationBankId: string;
  destinationAccount: string;
  destinationAccountName: string;
  status: 'PENDING' | 'SUCCESSFUL' | 'FAILED';
  createdAt: string;
  updatedAt: string | null;
}

export interface Beneficiary {
  id: string;
  name: string;
  bankId: string;
  accountNumber: string;
  accountName: string;
}

export const SANDBOX_OWNER_ID = 'sbxowner0000000000000001';
export const SETTLEMENT_ACCOUNT = { bankId: 'sbxbank000000000000000001', account: '0000000001', name: 'Sandbox Merchant Ltd' };
/** Who "pays" on the checkout page; filled into origin* once a payment is paid. */
export const SANDBOX_PAYER_ACCOUNT = { bankId: 'sbxbank000000000000000009', account: '0000000009', name: 'Sandbox Payer' };
export const PAYMENT_LIFETIME_MS = 60 * 60 * 1000;

export const BENEFICIARIES: readonly Beneficiary[] = [
  { id: 'sbxbenef0000000000000001', name: 'Ada Supplies', bankId: 'sbxbank000000000000000002', accountNumber: '0000000002', accountName: 'Ada Supplies Ltd' },
  { id: 'sbxbenef0000000000000002', name: 'Bola Logistics', bankId: 'sbxbank000000000000000003', accountNumber: '0000000003', accountName: 'Bola Logistics Ltd' },
  { id: 'sbxbenef0000000000000003', name: 'Chidi Okafor', bankId: 'sbxbank000000000000000002', accountNumber: '0000000004', accountName: 'Chidi Okafor' },
];

export interface FieldError {
  field: string;
  message: string;
}
export type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export interface PaymentRequest {
  amount: number;
  currency: string;
  reference: string;
  description: string;
  destinationBankId?: string;
  destinationAccount?: string;
  destinationAccountName?: string;
  callbackUrl?: string;
  statusWebhook: string | null;
}

export interface PayoutRequest {
  amount: number;
  currency: string;
  reference: string;
  description: string | null;
  beneficiaryId?: string;
  destinationBankId?: string;
  destinationAccount?: string;
  destinationAccountName?: string;
}

class Checks {
  readonly errors: FieldError[] = [];

  constructor(private readonly body: Record<string, unknown>) {}

  fail(field: string, message: string): undefined {
    this.errors.push({ field, message });
    return undefined;
  }

  has(field: string): boolean {
    return this.body[field] !== undefined && this.body[field] !== null;
  }

  minorUnits(field: string): number {
    const value = this.body[field];
    if (!Number.isSafeInteger(value) || (value as number) <= 0) this.fail(field, 'must be a positive integer in minor units');
    return value as number;
  }

  currency(field: string): string {
    const value = this.body[field];
    if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(value)) this.fail(field, 'must be a 3-letter upper-case currency code');
    return value as string;
  }

  text(field: string, required: boolean): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return required ? this.fail(field, 'is required') : undefined;
    if (typeof value !== 'string' || value.trim() === '') return this.fail(field, 'must be a non-empty string');
    if (value.length > 255) return this.fail(field, 'must be at most 255 characters');
    return value;
  }

  url(field: string): string | undefined {
    const value = this.text(field, false);
    if (value !== undefined && !/^https?:\/\/[^\s]+$/.test(value)) return this.fail(field, 'must be an http(s) URL');
    return value;
  }

  result<T>(value: T): Checked<T> {
    return this.errors.length === 0 ? { ok: true, value } : { ok: false, errors: this.errors };
  }
}

function checksFor(body: unknown): Checks {
  const checks = new Checks(isPlainObject(body) ? body : {});
  if (!isPlainObject(body)) checks.fail('body', 'must be a JSON object');
  return checks;
}

export function checkPaymentRequest(body: unknown): Checked<PaymentRequest> {
  const checks = checksFor(body);
  return checks.result({
    amount: checks.minorUnits('amount'),
    currency: checks.currency('currency'),
    reference: checks.text('reference', true) as string,
    description: checks.text('description', true) as string,
    destinationBankId: checks.text('destinationBankId', false),
    destinationAccount: checks.text('destinationAccount', false),
    destinationAccountName: checks.text('destinationAccountName', false),
    callbackUrl: checks.url('callbackUrl'),
    statusWebhook: checks.url('statusWebhook') ?? null,
  });
}

/** A payout goes to a listed beneficiary, or to an account spelt out in full. */
export function checkPayoutRequest(body: unknown): Checked<PayoutRequest> {
  const checks = checksFor(body);
  const byBeneficiary = checks.has('beneficiaryId');
  return checks.result({
    amount: checks.minorUnits('amount'),
    currency: checks.currency('currency'),
    reference: checks.text('reference', true) as string,
    description: checks.text('description', false) ?? null,
    beneficiaryId: checks.text('beneficiaryId', false),
    destinationBankId: checks.text('destinationBankId', !byBeneficiary),
    destinationAccount: checks.text('destinationAccount', !byBeneficiary),
    destinationAccountName: checks.text('destinationAccountName', !byBeneficiary),
  });
}

export function createPaymentRecord(id: string, request: PaymentRequest, checkoutUrl: string, now: Date): FlashpayPayment {
  return {
    id,
    amount: request.amount,
    ownerId: SANDBOX_OWNER_ID,
    currency: request.currency,
    reference: request.reference,
    originBankId: null,
    originAccount: null,
    originAccountName: null,
    destinationBankId: request.destinationBankId ?? SETTLEMENT_ACCOUNT.bankId,
    destinationAccount: request.destinationAccount ?? SETTLEMENT_ACCOUNT.account,
    destinationAccountName: request.destinationAccountName ?? SETTLEMENT_ACCOUNT.name,
    description: request.description,
    status: 'OPEN',
    callbackUrl: request.callbackUrl ?? checkoutUrl,
    statusWebhook: request.statusWebhook,
    createdAt: now.toISOString(),
    updatedAt: null,
    expiresAt: new Date(now.getTime() + PAYMENT_LIFETIME_MS).toISOString(),
  };
}

/** Expiry is read, not scheduled: an OPEN payment past `expiresAt` simply reads as EXPIRED. */
export function currentView(payment: FlashpayPayment, now = Date.now()): FlashpayPayment {
  const expired = payment.status === 'OPEN' && payment.expiresAt !== null && Date.parse(payment.expiresAt) <= now;
  return expired ? { ...payment, status: 'EXPIRED' } : payment;
}

/** Sandbox rule for tests: an amount ending in 13 minor units fails, any other succeeds. */
export function payoutOutcome(amount: number): FlashpayPayout['status'] {
  return amount % 100 === 13 ? 'FAILED' : 'SUCCESSFUL';
}

/** Amount for display only: the currency's minor-unit exponent comes from ICU, the digits stay integers. */
export function formatMinorUnits(amount: number, currency: string): string {
  let exponent = 2;
  try {
    exponent = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // An unknown code keeps the common exponent of 2.
  }
  const digits = String(amount).padStart(exponent + 1, '0');
  const major = exponent > 0 ? `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}` : digits;
  return `${major} ${currency}`;
}
