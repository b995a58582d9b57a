import { Beneficiary, BankDestination, Payee, Payer, PaymentStatus, PayoutStatus, Transaction } from './payment.types';

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
   * What the payer paid, when the provider reports it apart from the payment's amount (for example the
   * paid transaction's amount, which a later update of the payment does not change). A succeeded payment keeps this.
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

/** What the gateway hands a provider's inbound webhook handler: the bytes as sent, and the headers. */
export interface InboundWebhookRequest {
  rawBody: Buffer | undefined;
  /** Lower-case header names, as Node gives them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * A notification, verified and reduced to what it points at. The gateway never takes a status from a webhook body:
 * `refresh` makes it re-read that resource from the provider. `dedupeKey` identifies the delivery (a retry of the
 * same delivery carries the same key).
 */
export type InboundWebhookHint =
  | {
      action: 'refresh';
      resource: 'payment';
      providerId: string;
      dedupeKey: string;
      /**
       * Only from a handler that verified the provider's signature: what the notification itself says was paid. It
       * decides when the re-read finds the payment already deleted at the provider (paid, then deleted).
       */
      evidence?: { succeeded: boolean; amount: number | null };
    }
  | { action: 'ignore'; reason: string };

/** A notification refused before anything is looked up: a bad signature (401) or an unusable body (422). */
export class InboundWebhookError extends Error {
  constructor(
    readonly reason: 'invalid_signature' | 'invalid_webhook',
    message: string,
    /** For invalid_webhook: the body field at fault and what it must be. */
    readonly field?: { name: string; problem: string },
  ) {
    super(message);
    this.name = 'InboundWebhookError';
  }
}

export interface InboundWebhookHandler {
  /**
   * True when the provider signs its notifications. False when anyone who knows the URL could send one: the gateway
   * then limits them per source address and coalesces the provider reads they cause per payment.
   */
  readonly authenticated: boolean;
  /** The header carrying the signature, for the API document (authenticated handlers). */
  readonly signatureHeader?: { name: string; description: string };
  /** One line for the API document: what the provider sends. */
  readonly summary: string;
  /** Verifies, then names what the notification points at. Throws InboundWebhookError; never calls the provider. */
  parse(request: InboundWebhookRequest): InboundWebhookHint;
}

/** One finished provider call, as the metrics count it. */
export interface ProviderCallRecord {
  provider: string;
  operation: string;
  outcome: string;
  durationMs: number;
}

export interface PaymentProvider {
  /** The registered name: the `provider` of its payments, and its inbound route `/webhooks/<name>`. */
  readonly name: string;
  readonly capabilities: ReadonlySet<Capability>;
  /** Currencies this provider account takes (upper-case ISO 4217). */
  readonly currencies: readonly string[];
  /** False when the provider's credentials or base URL are missing. */
  readonly configured: boolean;
  /** Circuit state and recent error rate and latency. */
  health(): ProviderHealthReport;
  /** The address readiness probes for a TCP connection (its API base URL). */
  readonly reachabilityUrl: string;
  /** Its notifications, when it sends any: verification and the normalized hint. */
  readonly inbound?: InboundWebhookHandler;
  /** Reports every finished call, for the metrics. */
  onCall?(listener: (call: ProviderCallRecord) => void): void;
  /**
   * Reconciliation lookup: the payment the provider holds with the gateway's id as its reference, or null. Used
   * after a create whose outcome was unknown (timeout, reset) to adopt a payment the provider did make.
   */
  findPaymentByReference?(reference: string): Promise<ProviderPayment | null>;

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
