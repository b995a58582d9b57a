import { randomUUID } from 'node:crypto';
import { isPlainObject } from './http';

/** Shapes exactly as in FlexiQash's API document. Amounts are the JSON numbers received, echoed untouched. */
export interface FlexiqashPayment {
  guid: string;
  name: string;
  amount: number;
  link: string;
  payee: { guid: string; name: string; reference: string };
  payer: { name: string; email: string; reference: string } | null;
}

export interface FlexiqashTransaction {
  guid: string;
  payer: { payer_email: string | null; payer_name: string | null; payer_reference: string | null };
  payee: { payee_reference: string };
  amount_defined: number;
  is_paid: boolean;
  paid_at: string | null;
  status: { code: 'success' | 'failed'; message: 'APPROVED' | 'DECLINED' };
  created_at: string;
}

/** What the sandbox keeps per payment; `archived` is internal because the document's objects have no such field. */
export interface StoredPayment {
  payment: FlexiqashPayment;
  archived: boolean;
  transactions: FlexiqashTransaction[];
}

export interface NewPaymentInput {
  name: string;
  amount: number;
  payer?: { name: string; email: string; reference?: string };
  payee?: { name?: string; reference?: string };
}

export interface PaymentChanges {
  name?: string;
  amount?: number;
}

type Errors = Record<string, string[]>;
export type Validated<T> = { ok: true; value: T } | { ok: false; errors: Errors };

/** The one merchant account every sandbox payment belongs to. */
export const SANDBOX_PAYEE = { guid: '5a4db0c8-0000-4000-8000-000000000001', name: 'Sandbox Merchant Inc' };

const MAX_STRING = 255;

class Rules {
  readonly errors: Errors = {};

  fail(field: string, message: string): undefined {
    (this.errors[field] ??= []).push(message);
    return undefined;
  }

  string(body: Record<string, unknown>, field: string, path: string, required: boolean): string | undefined {
    const value = body[field];
    // Laravel turns '' into null before validating, so a blank string counts as missing.
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      return required ? this.fail(path, `The ${path} field is required.`) : undefined;
    }
    if (typeof value !== 'string') return this.fail(path, `The ${path} field must be a string.`);
    if (value.length > MAX_STRING) return this.fail(path, `The ${path} field must not be greater than ${MAX_STRING} characters.`);
    return value;
  }

  amount(body: Record<string, unknown>, required: boolean): number | undefined {
    const value = body.amount;
    if (value === undefined || value === null) return required ? this.fail('amount', 'The amount field is required.') : undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.fail('amount', 'The amount field must be a number.');
    if (value <= 0) return this.fail('amount', 'The amount field must be greater than 0.');
    return value;
  }

  object(body: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
    const value = body[field];
    if (value === undefined || value === null) return undefined;
    if (!isPlainObject(value)) return this.fail(field, `The ${field} field must be an array.`);
    return value;
  }

  result<T>(value: T): Validated<T> {
    return Object.keys(this.errors).length === 0 ? { ok: true, value } : { ok: false, errors: this.errors };
  }
}

export function validateNewPayment(body: unknown): Validated<NewPaymentInput> {
  const input = isPlainObject(body) ? body : {};
  const rules = new Rules();
  const name = rules.string(input, 'name', 'name', true);
  const amount = rules.amount(input, true);
  const payerInput = rules.object(input, 'payer');
  const payeeInput = rules.object(input, 'payee');
  let payer: NewPaymentInput['payer'];
  if (payerInput) {
    const payerName = rules.string(payerInput, 'name', 'payer.name', true);
    const email = rules.string(payerInput, 'email', 'payer.email', true);
    if (email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(email)) rules.fail('payer.email', 'The payer.email field must be a valid email address.');
    const reference = rules.string(payerInput, 'reference', 'payer.reference', false);
    payer = { name: payerName as string, email: email as string, reference };
  }
  const payee = payeeInput
    ? { name: rules.string(payeeInput, 'name', 'payee.name', false), reference: rules.string(payeeInput, 'reference', 'payee.reference', false) }
    : undefined;
  return rules.result({ name: name as string, amount: amount as number, payer, payee });
}

export function validatePaymentChanges(body: unknown): Validated<PaymentChanges> {
  const input = isPlainObject(body) ? body : {};
  const rules = new Rules();
  const changes: PaymentChanges = {};
  if ('name' in input) changes.name = rules.string(input, 'name', 'name', true);
  if ('amount' in input) changes.amount = rules.amount(input, true);
  return rules.result(changes);
}

/** Laravel's 422 body: the first message (with a count of the rest) plus every message per field. */
export function validationFailureBody(errors: Errors): { message: string; errors: Errors } {
  const messages = Object.values(errors).flat();
  const others = messages.length - 1;
  const suffix = others > 0 ? ` (and ${others} more error${others > 1 ? 's' : ''})` : '';
  return { message: `${messages[0]}${suffix}`, errors };
}

export function createPayment(input: NewPaymentInput, guid: string, link: string): FlexiqashPayment {
  // The document's create example echoes the payment name as both references when none is given.
  return {
    guid,
    name: input.name,
    amount: input.amount,
    link,
    payee: { guid: SANDBOX_PAYEE.guid, name: input.payee?.name ?? SANDBOX_PAYEE.name, reference: input.payee?.reference ?? input.name },
    payer: input.payer ? { name: input.payer.name, email: input.payer.email, reference: input.payer.reference ?? input.name } : null,
  };
}

/** `2024-04-17 19:21:02`, in UTC. */
export function laravelTimestamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export function createTransaction(payment: FlexiqashPayment, paid: boolean, now = new Date()): FlexiqashTransaction {
  const at = laravelTimestamp(now);
  return {
    guid: randomUUID(),
    payer: { payer_email: payment.payer?.email ?? null, payer_name: payment.payer?.name ?? null, payer_reference: payment.payer?.reference ?? null },
    payee: { payee_reference: payment.payee.reference },
    amount_defined: payment.amount,
    is_paid: paid,
    paid_at: paid ? at : null,
    status: paid ? { code: 'success', message: 'APPROVED' } : { code: 'failed', message: 'DECLINED' },
    created_at: at,
  };
}

/** The document's webhook payload for one transaction. */
export function webhookPayload(payment: FlexiqashPayment, transaction: FlexiqashTransaction) {
  return {
    paymentReference: payment.guid,
    transaction: {
      amount: transaction.amount_defined,
      reference: transaction.guid,
      status: transaction.status.code,
      statusMessage: transaction.is_paid ? 'Payment Accepted' : 'Payment Declined',
    },
  };
}
