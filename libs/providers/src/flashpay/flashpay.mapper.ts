import {
  assertMinorAmount,
  BankDestination,
  Beneficiary,
  CreateProviderPaymentInput,
  CreateProviderPayoutInput,
  isKnownCurrency,
  PaymentStatus,
  PayoutStatus,
  ProviderPayment,
  ProviderPayout,
} from '@app/payments';
import { assertNever } from '../http/assert-never';
import { consoleProviderLogger, ProviderLogger } from '../http/provider-logger';
import { WireReader } from '../http/wire';

/*
 * Flashpay wire types and their mapping to the gateway's model. Amounts are integers in minor units, the same as
 * the gateway's, so they pass through after a check. Only the payment object is documented; see README.md.
 */

/** POST {base}/payment body (assumed from the payment object's fields). */
export interface FlashpayCreatePaymentRequest {
  amount: number;
  currency: string;
  /** The gateway's payment id (pay_…); the client's own reference stays in the gateway. */
  reference: string;
  description: string;
  destinationBankId?: string;
  destinationAccount?: string;
  destinationAccountName?: string;
  statusWebhook: string;
}

/** POST {base}/payout body (assumed): a beneficiary or an explicit destination. */
export interface FlashpayCreatePayoutRequest {
  amount: number;
  currency: string;
  /** The gateway's payout id (po_…). */
  reference: string;
  description?: string;
  beneficiaryId?: string;
  destinationBankId?: string;
  destinationAccount?: string;
  destinationAccountName?: string;
}

/** Payment status values we know (the document shows only OPEN). Compared upper-cased. */
export const FLASHPAY_PAYMENT_STATUSES = [
  'OPEN',
  'PENDING',
  'PROCESSING',
  'PAID',
  'SUCCESS',
  'SUCCESSFUL',
  'COMPLETED',
  'FAILED',
  'DECLINED',
  'REJECTED',
  'CANCELLED',
  'CANCELED',
  'EXPIRED',
] as const;
export type FlashpayPaymentStatus = (typeof FLASHPAY_PAYMENT_STATUSES)[number];

export const FLASHPAY_PAYOUT_STATUSES = [
  'PENDING',
  'PROCESSING',
  'SUCCESSFUL',
  'SUCCESS',
  'PAID',
  'COMPLETED',
  'FAILED',
  'REVERSED',
  'REJECTED',
] as const;
export type FlashpayPayoutStatus = (typeof FLASHPAY_PAYOUT_STATUSES)[number];

const fallbackLogger = consoleProviderLogger('FlashpayMapper');
const wire = new WireReader('flashpay', 'response');

function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

/**
 * Flashpay's payment status to the gateway's. An unknown value is reported as `pending` (the gateway keeps the raw
 * value in providerStatus and reconciliation reads it again later) and logged. OPEN stays pending even past
 * `expiresAt`: we report what Flashpay says and leave expiry to the gateway's reconciliation.
 */
export function mapFlashpayPaymentStatus(raw: string, logger: ProviderLogger = fallbackLogger): PaymentStatus {
  const value = raw.toUpperCase();
  if (!isOneOf(FLASHPAY_PAYMENT_STATUSES, value)) {
    logger.warn(`unknown Flashpay payment status ${JSON.stringify(raw)}: treated as pending`);
    return 'pending';
  }
  switch (value) {
    case 'OPEN':
    case 'PENDING':
    case 'PROCESSING':
      return 'pending';
    case 'PAID':
    case 'SUCCESS':
    case 'SUCCESSFUL':
    case 'COMPLETED':
      return 'succeeded';
    case 'FAILED':
    case 'DECLINED':
    case 'REJECTED':
      return 'failed';
    case 'CANCELLED':
    case 'CANCELED':
      return 'cancelled';
    case 'EXPIRED':
      return 'expired';
    default:
      return assertNever(value, 'Flashpay payment status');
  }
}

export function mapFlashpayPayoutStatus(raw: string, logger: ProviderLogger = fallbackLogger): PayoutStatus {
  const value = raw.toUpperCase();
  if (!isOneOf(FLASHPAY_PAYOUT_STATUSES, value)) {
    logger.warn(`unknown Flashpay payout status ${JSON.stringify(raw)}: treated as pending`);
    return 'pending';
  }
  switch (value) {
    case 'PENDING':
    case 'PROCESSING':
      return 'pending';
    case 'SUCCESSFUL':
    case 'SUCCESS':
    case 'PAID':
    case 'COMPLETED':
      return 'succeeded';
    case 'FAILED':
    case 'REVERSED':
    case 'REJECTED':
      return 'failed';
    default:
      return assertNever(value, 'Flashpay payout status');
  }
}

/**
 * Flashpay's document shows no hosted payment page link, so the checkout URL is built from
 * FLASHPAY_CHECKOUT_URL_TEMPLATE (default `{baseUrl}/checkout/{id}`).
 */
export function flashpayCheckoutUrl(template: string, baseUrl: string, id: string): string {
  return template.split('{baseUrl}').join(baseUrl.replace(/\/+$/, '')).split('{id}').join(encodeURIComponent(id));
}

function amountAndCurrency(o: Record<string, unknown>, what: string): { amount: number; currency: string } {
  const currency = wire.string(o.currency, `${what}.currency`);
  if (!isKnownCurrency(currency)) throw wire.bad(`${what}.currency ${JSON.stringify(currency)} is not an ISO 4217 code`);
  const amount = o.amount;
  wire.convert(`${what}.amount`, () => assertMinorAmount(amount));
  return { amount: amount as number, currency };
}

/** The three destination fields when all are present, else null. */
function destination(o: Record<string, unknown>, what: string): BankDestination | null {
  const bankId = wire.optionalString(o.destinationBankId, `${what}.destinationBankId`);
  const accountNumber = wire.optionalString(o.destinationAccount, `${what}.destinationAccount`);
  const accountName = wire.optionalString(o.destinationAccountName, `${what}.destinationAccountName`);
  return bankId && accountNumber && accountName ? { bankId, accountNumber, accountName } : null;
}

export interface FlashpayMappingContext {
  /** The checkout URL for a Flashpay payment id (see flashpayCheckoutUrl). */
  checkoutUrlFor: (id: string) => string | null;
  logger?: ProviderLogger;
}

export function fromFlashpayPayment(value: unknown, context: FlashpayMappingContext): ProviderPayment {
  const p = wire.object(value, 'payment');
  const id = wire.string(p.id, 'payment.id');
  const rawStatus = wire.string(p.status, 'payment.status');
  return {
    providerPaymentId: id,
    ...amountAndCurrency(p, 'payment'),
    description: wire.optionalString(p.description, 'payment.description'),
    status: mapFlashpayPaymentStatus(rawStatus, context.logger),
    providerStatus: rawStatus,
    checkoutUrl: context.checkoutUrlFor(id),
    reference: wire.optionalString(p.reference, 'payment.reference'),
    expiresAt: wire.optionalString(p.expiresAt, 'payment.expiresAt'),
  };
}

export function fromFlashpayPayments(body: unknown, context: FlashpayMappingContext): ProviderPayment[] {
  return wire.list(body, 'payments').map((p) => fromFlashpayPayment(p, context));
}

export function fromFlashpayPayout(value: unknown, logger?: ProviderLogger): ProviderPayout {
  const p = wire.object(value, 'payout');
  const rawStatus = wire.string(p.status, 'payout.status');
  return {
    providerPayoutId: wire.string(p.id, 'payout.id'),
    ...amountAndCurrency(p, 'payout'),
    status: mapFlashpayPayoutStatus(rawStatus, logger),
    providerStatus: rawStatus,
    destination: destination(p, 'payout'),
    reference: wire.optionalString(p.reference, 'payout.reference'),
  };
}

export function fromFlashpayBeneficiaries(body: unknown): Beneficiary[] {
  return wire.list(body, 'beneficiaries').map((value, i) => {
    const b = wire.object(value, `beneficiaries[${i}]`);
    return {
      id: wire.string(b.id, `beneficiaries[${i}].id`),
      name: wire.string(b.name, `beneficiaries[${i}].name`),
      bankId: wire.string(b.bankId, `beneficiaries[${i}].bankId`),
      accountNumber: wire.string(b.accountNumber, `beneficiaries[${i}].accountNumber`),
      accountName: wire.string(b.accountName, `beneficiaries[${i}].accountName`),
    };
  });
}

export function toFlashpayCreatePayment(input: CreateProviderPaymentInput, statusWebhook: string): FlashpayCreatePaymentRequest {
  assertMinorAmount(input.amount);
  const body: FlashpayCreatePaymentRequest = {
    amount: input.amount,
    currency: input.currency,
    reference: input.gatewayPaymentId,
    description: input.description,
    statusWebhook,
  };
  if (input.payee?.bankId) body.destinationBankId = input.payee.bankId;
  if (input.payee?.accountNumber) body.destinationAccount = input.payee.accountNumber;
  if (input.payee?.accountName) body.destinationAccountName = input.payee.accountName;
  return body;
}

export function toFlashpayCreatePayout(input: CreateProviderPayoutInput): FlashpayCreatePayoutRequest {
  assertMinorAmount(input.amount);
  const body: FlashpayCreatePayoutRequest = { amount: input.amount, currency: input.currency, reference: input.gatewayPayoutId };
  if (input.description) body.description = input.description;
  if (input.beneficiaryId) {
    body.beneficiaryId = input.beneficiaryId;
  } else if (input.destination) {
    body.destinationBankId = input.destination.bankId;
    body.destinationAccount = input.destination.accountNumber;
    body.destinationAccountName = input.destination.accountName;
  } else {
    throw new Error('a Flashpay payout needs a beneficiaryId or a destination');
  }
  return body;
}
