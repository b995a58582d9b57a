import {
  CreateProviderPaymentInput,
  majorNumberToMinor,
  minorToMajorNumber,
  PaymentStatus,
  ProviderPayment,
  Transaction,
  UpdateProviderPaymentInput,
} from '@app/payments';
import { assertNever } from '../http/assert-never';
import { consoleProviderLogger, ProviderLogger } from '../http/provider-logger';
import { WireReader } from '../http/wire';

/*
 * FlexiQash wire types and their mapping to the gateway's model. Amounts on the wire are JSON numbers in major
 * units of the account's one currency (FLEXIQASH_CURRENCY); the payment object carries no status, so a payment's
 * status is derived from its transactions. See README.md for every assumption.
 */

/** POST api/payments/new body (the document shows only `name`; the rest is our assumption, see README). */
export interface FlexiqashCreatePaymentRequest {
  name: string;
  amount: number;
  payer?: { name: string; email: string; reference?: string };
  /** `reference` carries the gateway's payment id so an ambiguous create can be found again by listing. */
  payee: { reference: string };
}

/** PATCH api/payments/{guid}/update body (the document shows none; assumed like create). */
export interface FlexiqashUpdatePaymentRequest {
  name?: string;
  amount?: number;
}

/** PATCH …/update, …/archive, …/unarchive answer. */
export interface FlexiqashSuccessWire {
  success: boolean;
}

/**
 * Transaction status codes we know. The document shows only `success`; the others are the codes we expect from a
 * card/wallet processor (README). Compared lower-cased.
 */
export const FLEXIQASH_TRANSACTION_CODES = [
  'success',
  'pending',
  'processing',
  'failed',
  'declined',
  'rejected',
  'error',
  'cancelled',
  'canceled',
  'expired',
] as const;
export type FlexiqashTransactionCode = (typeof FLEXIQASH_TRANSACTION_CODES)[number];

const fallbackLogger = consoleProviderLogger('FlexiqashMapper');
const wire = new WireReader('flexiqash', 'response');

function isKnownCode(code: string): code is FlexiqashTransactionCode {
  return (FLEXIQASH_TRANSACTION_CODES as readonly string[]).includes(code);
}

/**
 * One transaction status code (also the webhook's `transaction.status`) to the gateway's transaction status.
 * An unknown code is `pending` (the raw code stays in providerStatus) and is logged.
 */
export function mapFlexiqashTransactionCode(
  code: string | null | undefined,
  logger: ProviderLogger = fallbackLogger,
): Transaction['status'] {
  if (code === null || code === undefined || code === '') return 'pending';
  const normalized = code.toLowerCase();
  if (!isKnownCode(normalized)) {
    logger.warn(`unknown FlexiQash transaction status code ${JSON.stringify(code)}: treated as pending`);
    return 'pending';
  }
  switch (normalized) {
    case 'success':
      return 'succeeded';
    case 'pending':
    case 'processing':
      return 'pending';
    case 'failed':
    case 'declined':
    case 'rejected':
    case 'error':
    case 'cancelled':
    case 'canceled':
    case 'expired':
      return 'failed';
    default:
      return assertNever(normalized, 'FlexiQash transaction code');
  }
}

/**
 * "2024-04-17 19:21:02" → "2024-04-17T19:21:02.000Z". FlexiQash writes Laravel's default format, which carries no
 * zone; Laravel apps run on UTC by default (config/app.php) and the gateway's contract promises every timestamp
 * with its zone, so a zoneless time is read as UTC. A time that carries a zone keeps it (converted to UTC), and
 * text that is no time at all gives null rather than a string a client would misread.
 */
export function flexiqashTimestamp(value: string | null): string | null {
  if (value === null) return null;
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?$/i.exec(value.trim());
  if (!match) return null;
  const zone = match[3] ? (match[3].toUpperCase() === 'Z' ? 'Z' : match[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')) : 'Z';
  const date = new Date(`${match[1]}T${match[2]}${zone}`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function fromFlexiqashTransaction(value: unknown, currency: string, logger?: ProviderLogger): Transaction {
  const t = wire.object(value, 'transaction');
  const statusObject = wire.optionalObject(t.status, 'transaction.status');
  const code = statusObject ? wire.optionalString(statusObject.code, 'transaction.status.code') : null;
  if (t.is_paid !== undefined && t.is_paid !== null && typeof t.is_paid !== 'boolean') throw wire.bad('transaction.is_paid is not a boolean');
  const payer = wire.optionalObject(t.payer, 'transaction.payer');
  const amount =
    t.amount_defined === undefined || t.amount_defined === null
      ? null
      : wire.convert('transaction.amount_defined', () => majorNumberToMinor(t.amount_defined, currency));
  return {
    id: wire.string(t.guid, 'transaction.guid'),
    object: 'transaction',
    amount,
    currency,
    // is_paid is the plainer signal; a paid transaction is a success whatever its code says.
    status: t.is_paid === true ? 'succeeded' : mapFlexiqashTransactionCode(code, logger),
    providerStatus: code,
    message: statusObject ? wire.optionalString(statusObject.message, 'transaction.status.message') : null,
    payer: payer
      ? {
          name: wire.optionalString(payer.payer_name, 'transaction.payer.payer_name'),
          email: wire.optionalString(payer.payer_email, 'transaction.payer.payer_email'),
          reference: wire.optionalString(payer.payer_reference, 'transaction.payer.payer_reference'),
        }
      : null,
    paidAt: flexiqashTimestamp(wire.optionalString(t.paid_at, 'transaction.paid_at')),
    createdAt: flexiqashTimestamp(wire.optionalString(t.created_at, 'transaction.created_at')),
  };
}

export function fromFlexiqashTransactions(body: unknown, currency: string, logger?: ProviderLogger): Transaction[] {
  return wire.list(body, 'transactions').map((t) => fromFlexiqashTransaction(t, currency, logger));
}

/** The latest of a list: greatest createdAt, the later position on a tie or a missing timestamp. */
function latest(transactions: readonly Transaction[]): Transaction | null {
  let best: Transaction | null = null;
  for (const t of transactions) {
    if (!best || !best.createdAt || !t.createdAt || t.createdAt >= best.createdAt) best = t;
  }
  return best;
}

/**
 * A FlexiQash payment has no status of its own: it succeeded if any transaction succeeded (a payer may retry on
 * the same link after a decline), failed if the latest attempt failed, and is pending otherwise (no attempt yet,
 * or the latest one still running).
 */
export function flexiqashPaymentStatus(transactions: readonly Transaction[]): {
  status: PaymentStatus;
  providerStatus: string | null;
} {
  const success = latest(transactions.filter((t) => t.status === 'succeeded'));
  if (success) return { status: 'succeeded', providerStatus: success.providerStatus };
  const last = latest(transactions);
  if (!last) return { status: 'pending', providerStatus: null };
  return { status: last.status === 'failed' ? 'failed' : 'pending', providerStatus: last.providerStatus };
}

/**
 * A FlexiQash payment object to the gateway's ProviderPayment. Without `transactions` (create, list) the status is
 * `pending` with no providerStatus: the caller did not read the attempts.
 */
export function fromFlexiqashPayment(value: unknown, currency: string, transactions: readonly Transaction[] | null = null): ProviderPayment {
  const p = wire.object(value, 'payment');
  const payee = wire.optionalObject(p.payee, 'payment.payee');
  const { status, providerStatus } = flexiqashPaymentStatus(transactions ?? []);
  return {
    providerPaymentId: wire.string(p.guid, 'payment.guid'),
    amount: wire.convert('payment.amount', () => majorNumberToMinor(p.amount, currency)),
    currency,
    description: wire.optionalString(p.name, 'payment.name'),
    status,
    providerStatus,
    checkoutUrl: wire.optionalString(p.link, 'payment.link'),
    reference: payee ? wire.optionalString(payee.reference, 'payment.payee.reference') : null,
    expiresAt: null,
    ...(status === 'succeeded' ? { paidAmount: paidAmountOf(transactions ?? []) } : {}),
  };
}

/** The amount of the latest successful transaction: what the payer paid, whatever the payment says now. */
function paidAmountOf(transactions: readonly Transaction[]): number | null {
  return latest(transactions.filter((t) => t.status === 'succeeded'))?.amount ?? null;
}

/**
 * A verified FlexiQash notification says which transaction of which payment ended how. Signed, it is evidence in
 * itself; the gateway still re-reads the payment first and only falls back on this when FlexiQash has deleted it.
 */
export interface FlexiqashNotification {
  providerPaymentId: string;
  succeeded: boolean;
  amount: number | null;
}

export function fromFlexiqashNotification(value: unknown, currency: string): FlexiqashNotification {
  const body = wire.object(value, 'notification');
  const transaction = wire.optionalObject(body.transaction, 'notification.transaction');
  const amount = transaction?.amount;
  return {
    providerPaymentId: wire.string(body.paymentReference, 'notification.paymentReference'),
    succeeded: transaction?.status === 'success',
    amount: typeof amount === 'number' ? wire.convert('notification.transaction.amount', () => majorNumberToMinor(amount, currency)) : null,
  };
}

export function fromFlexiqashPayments(body: unknown, currency: string): ProviderPayment[] {
  return wire.list(body, 'payments').map((p) => fromFlexiqashPayment(p, currency));
}

/** `{success: true}`; anything else means FlexiQash did not do it. */
export function isFlexiqashSuccess(body: unknown): boolean {
  return !!body && typeof body === 'object' && (body as FlexiqashSuccessWire).success === true;
}

export function toFlexiqashCreatePayment(input: CreateProviderPaymentInput): FlexiqashCreatePaymentRequest {
  const body: FlexiqashCreatePaymentRequest = {
    name: input.description,
    amount: minorToMajorNumber(input.amount, input.currency),
    payee: { reference: input.gatewayPaymentId },
  };
  if (input.payer) {
    body.payer = { name: input.payer.name, email: input.payer.email };
    if (input.payer.reference) body.payer.reference = input.payer.reference;
  }
  return body;
}

/** FlexiQash has no metadata field: `metadata` stays in the gateway only. */
export function toFlexiqashUpdatePayment(input: UpdateProviderPaymentInput): FlexiqashUpdatePaymentRequest {
  const body: FlexiqashUpdatePaymentRequest = {};
  if (input.description !== undefined) body.name = input.description;
  if (input.amount !== undefined) body.amount = minorToMajorNumber(input.amount, input.currency);
  return body;
}
