import { ProviderTelemetry } from '../http/provider-telemetry';
import { providerSettings, type AppConfig } from '@app/common';
import {
  Capability,
  CreateProviderPaymentInput,
  InboundWebhookHandler,
  PaymentProvider,
  ProviderCallRecord,
  ProviderPayment,
  requireCurrency,
  Transaction,
  UpdateProviderPaymentInput,
} from '@app/payments';
import type { ProviderHealthReport } from '@app/payments';
import type { HttpTransport, ProviderOptions } from '../http/provider-http';
import { consoleProviderLogger, ProviderLogger } from '../http/provider-logger';
import { FlexiqashClient } from './flexiqash.client';
import { FlexiqashSettings } from './flexiqash.config';
import { flexiqashWebhook } from './flexiqash.webhook';
import {
  fromFlexiqashPayment,
  fromFlexiqashPayments,
  fromFlexiqashTransactions,
  toFlexiqashCreatePayment,
  toFlexiqashUpdatePayment,
} from './flexiqash.mapper';

const FLEXIQASH_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'payments.create',
  'payments.read',
  'payments.list',
  'payments.update',
  'payments.cancel',
  'payments.archive',
  'payments.transactions',
]);

/**
 * FlexiQash: payment links in one account currency, no payouts. The payment object carries no status, so reading
 * a payment reads its transactions too. See README.md for what the document leaves open.
 */
export class FlexiqashProvider implements PaymentProvider {
  static readonly identifier = 'flexiqash' as const;
  readonly name = FlexiqashProvider.identifier;
  readonly capabilities = FLEXIQASH_CAPABILITIES;
  readonly currencies: readonly string[];
  readonly configured: boolean;
  readonly telemetry: ProviderTelemetry;
  readonly reachabilityUrl: string;
  readonly inbound: InboundWebhookHandler;
  private readonly client: FlexiqashClient;
  /** FLEXIQASH_CURRENCY: FlexiQash amounts carry no currency, they are the account's. */
  private readonly currency: string;
  private readonly logger: ProviderLogger;

  /** `http`: how calls reach the network (default: a NodeHttpTransport per client). */
  constructor(config: AppConfig, http?: HttpTransport, options: ProviderOptions = {}) {
    this.telemetry = options.telemetry ?? new ProviderTelemetry('flexiqash', config.providerCircuit);
    this.logger = options.logger ?? consoleProviderLogger('FlexiqashProvider');
    const settings = providerSettings<FlexiqashSettings>(config, FlexiqashProvider.identifier);
    this.currency = settings.currency;
    this.currencies = [settings.currency];
    this.configured = Boolean(settings.baseUrl && settings.apiToken);
    this.reachabilityUrl = settings.baseUrl;
    this.inbound = flexiqashWebhook(settings.webhookSecret, settings.currency);
    this.client = new FlexiqashClient(
      {
        baseUrl: settings.baseUrl,
        apiToken: settings.apiToken,
        timeoutMs: config.providerTimeoutMs,
        retryDelaysMs: options.retryDelaysMs,
        telemetry: this.telemetry,
      },
      http,
    );
  }

  /**
   * The gateway's id rides in `payee.reference`; after an ambiguous create (timeout, reset) the gateway finds the
   * payment again with listPayments() and that reference.
   */
  async createPayment(input: CreateProviderPaymentInput): Promise<ProviderPayment> {
    requireCurrency(this, input.currency);
    const body = await this.client.createPayment(toFlexiqashCreatePayment(input));
    return fromFlexiqashPayment(body, this.currency);
  }

  /**
   * View + transactions, in parallel: the status comes from the transactions. Both calls are settled before
   * returning (no request outlives the call); the view's error wins, so an unknown payment is `not_found`.
   */
  async getPayment(providerPaymentId: string): Promise<ProviderPayment> {
    const [payment, transactions] = await Promise.allSettled([
      this.client.viewPayment(providerPaymentId),
      this.client.listTransactions(providerPaymentId),
    ]);
    if (payment.status === 'rejected') throw payment.reason;
    if (transactions.status === 'rejected') throw transactions.reason;
    return fromFlexiqashPayment(payment.value, this.currency, fromFlexiqashTransactions(transactions.value, this.currency, this.logger));
  }

  /** One request, no transactions: every item is `pending` with providerStatus null; getPayment() has the truth. */
  async listPayments(): Promise<ProviderPayment[]> {
    return fromFlexiqashPayments(await this.client.listPayments(), this.currency);
  }

  /** `payee.reference` holds the gateway's id; the list carries it, so one request finds the payment. */
  async findPaymentByReference(reference: string): Promise<ProviderPayment | null> {
    return (await this.listPayments()).find((payment) => payment.reference === reference) ?? null;
  }

  /** Sends name/amount only (FlexiQash has no metadata); nothing to send means no request. */
  async updatePayment(providerPaymentId: string, input: UpdateProviderPaymentInput): Promise<void> {
    requireCurrency(this, input.currency);
    const body = toFlexiqashUpdatePayment(input);
    if (Object.keys(body).length === 0) return;
    await this.client.updatePayment(providerPaymentId, body);
  }

  /** DELETE …/delete: FlexiQash then forgets the payment (404); the gateway keeps its own record as cancelled. */
  async cancelPayment(providerPaymentId: string): Promise<void> {
    await this.client.deletePayment(providerPaymentId);
  }

  async archivePayment(providerPaymentId: string): Promise<void> {
    await this.client.archivePayment(providerPaymentId);
  }

  async unarchivePayment(providerPaymentId: string): Promise<void> {
    await this.client.unarchivePayment(providerPaymentId);
  }

  async listTransactions(providerPaymentId: string, currency: string): Promise<Transaction[]> {
    return fromFlexiqashTransactions(await this.client.listTransactions(providerPaymentId), currency, this.logger);
  }

  // After the HTTP server has closed (Nest runs shutdown hooks after it), so in-flight calls keep their sockets.
  onApplicationShutdown(): void {
    this.client.close();
  }

  onCall(listener: (call: ProviderCallRecord) => void): void {
    this.telemetry.onCall(listener);
  }

  health(): ProviderHealthReport {
    return this.telemetry.health();
  }
}
