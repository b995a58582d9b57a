import { ProviderTelemetry } from '../http/provider-telemetry';
import { providerSettings, type AppConfig } from '@app/common';
import {
  Beneficiary,
  Capability,
  CreateProviderPaymentInput,
  CreateProviderPayoutInput,
  InboundWebhookHandler,
  PaymentProvider,
  ProviderCallRecord,
  ProviderPayment,
  ProviderPayout,
  requireCurrency,
} from '@app/payments';
import type { ProviderHealthReport } from '@app/payments';
import type { HttpTransport, ProviderOptions } from '../http/provider-http';
import { consoleProviderLogger, ProviderLogger } from '../http/provider-logger';
import { FlashpayClient } from './flashpay.client';
import { FlashpaySettings } from './flashpay.config';
import { flashpayWebhook } from './flashpay.webhook';
import {
  flashpayCheckoutUrl,
  FlashpayMappingContext,
  fromFlashpayBeneficiaries,
  fromFlashpayPayment,
  fromFlashpayPayments,
  fromFlashpayPayout,
  toFlashpayCreatePayment,
  toFlashpayCreatePayout,
} from './flashpay.mapper';

const FLASHPAY_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'payments.create',
  'payments.read',
  'payments.list',
  'payouts.create',
  'payouts.read',
  'beneficiaries.list',
]);

/**
 * Flashpay: payments and payouts in integer minor units, several currencies. No update, cancel, archive or
 * transactions. Only the payment details call is documented; see README.md for the assumed rest.
 */
export class FlashpayProvider implements PaymentProvider {
  static readonly identifier = 'flashpay' as const;
  readonly name = FlashpayProvider.identifier;
  readonly capabilities = FLASHPAY_CAPABILITIES;
  readonly currencies: readonly string[];
  readonly configured: boolean;
  readonly telemetry: ProviderTelemetry;
  readonly reachabilityUrl: string;
  readonly inbound: InboundWebhookHandler = flashpayWebhook;
  private readonly client: FlashpayClient;
  private readonly statusWebhook: string;
  private readonly mapping: FlashpayMappingContext;
  private readonly logger: ProviderLogger;

  /** `http`: how calls reach the network (default: a NodeHttpTransport per client). */
  constructor(config: AppConfig, http?: HttpTransport, options: ProviderOptions = {}) {
    this.telemetry = options.telemetry ?? new ProviderTelemetry('flashpay', config.providerCircuit);
    this.logger = options.logger ?? consoleProviderLogger('FlashpayProvider');
    const { baseUrl, basePath, apiToken, currencies, checkoutUrlTemplate } = providerSettings<FlashpaySettings>(config, FlashpayProvider.identifier);
    this.currencies = [...currencies];
    this.configured = Boolean(baseUrl && apiToken);
    this.reachabilityUrl = baseUrl;
    this.statusWebhook = `${config.publicBaseUrl}/webhooks/${FlashpayProvider.identifier}`;
    this.mapping = { checkoutUrlFor: (id) => flashpayCheckoutUrl(checkoutUrlTemplate, baseUrl, id), logger: this.logger };
    this.client = new FlashpayClient(
      { baseUrl, basePath, apiToken, timeoutMs: config.providerTimeoutMs, retryDelaysMs: options.retryDelaysMs, telemetry: this.telemetry },
      http,
    );
  }

  /**
   * Flashpay's `reference` carries the gateway's id, so an ambiguous create can be found again by listing;
   * `statusWebhook` points Flashpay at the gateway's inbound webhook.
   */
  async createPayment(input: CreateProviderPaymentInput): Promise<ProviderPayment> {
    requireCurrency(this, input.currency);
    const body = await this.client.createPayment(toFlashpayCreatePayment(input, this.statusWebhook));
    return fromFlashpayPayment(body, this.mapping);
  }

  async getPayment(providerPaymentId: string): Promise<ProviderPayment> {
    return fromFlashpayPayment(await this.client.getPayment(providerPaymentId), this.mapping);
  }

  async listPayments(): Promise<ProviderPayment[]> {
    return fromFlashpayPayments(await this.client.listPayments(), this.mapping);
  }

  /** Flashpay's `reference` holds the gateway's id. */
  async findPaymentByReference(reference: string): Promise<ProviderPayment | null> {
    return (await this.listPayments()).find((payment) => payment.reference === reference) ?? null;
  }

  async listBeneficiaries(): Promise<Beneficiary[]> {
    return fromFlashpayBeneficiaries(await this.client.listBeneficiaries());
  }

  async createPayout(input: CreateProviderPayoutInput): Promise<ProviderPayout> {
    requireCurrency(this, input.currency);
    return fromFlashpayPayout(await this.client.createPayout(toFlashpayCreatePayout(input)), this.logger);
  }

  async getPayout(providerPayoutId: string): Promise<ProviderPayout> {
    return fromFlashpayPayout(await this.client.getPayout(providerPayoutId), this.logger);
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
