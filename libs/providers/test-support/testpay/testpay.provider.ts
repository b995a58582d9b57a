import { providerSettings, type AppConfig } from '@app/common';
import {
  Capability,
  CreateProviderPaymentInput,
  InboundWebhookHandler,
  PaymentProvider,
  PaymentStatus,
  ProviderCallRecord,
  ProviderError,
  ProviderHealthReport,
  ProviderPayment,
  requireCurrency,
} from '@app/payments';
import { HttpTransport, ProviderHttp, ProviderOptions } from '@app/providers';
import { ProviderTelemetry } from '@app/providers';
import { TestpaySettings } from './testpay.config';
import { testpayWebhook } from './testpay.webhook';

/** Testpay's payment as its API answers it. */
export interface TestpayPayment {
  id: string;
  amount: number;
  currency: string;
  state: 'open' | 'paid' | 'void';
  reference: string;
}

const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>(['payments.create', 'payments.read']);

function status(state: TestpayPayment['state']): PaymentStatus {
  switch (state) {
    case 'open':
      return 'pending';
    case 'paid':
      return 'succeeded';
    case 'void':
      return 'cancelled';
    default: {
      const unknown: never = state;
      throw new Error(`unknown testpay state ${String(unknown)}`);
    }
  }
}

function toPayment(body: unknown): ProviderPayment {
  const p = body as TestpayPayment;
  if (!p || typeof p.id !== 'string' || !Number.isInteger(p.amount)) {
    throw new ProviderError('testpay', 'bad_response', 'testpay payment lacks id or amount', null, false);
  }
  return {
    providerPaymentId: p.id,
    amount: p.amount,
    currency: p.currency,
    description: null,
    status: status(p.state),
    providerStatus: p.state,
    checkoutUrl: null,
    reference: p.reference,
    expiresAt: null,
  };
}

/**
 * A provider that exists only in the tests: payments only, integer minor units, signed notifications, and a
 * lookup by reference that is not a list. It is registered exactly like FlexiQash and Flashpay (testpay.module.ts).
 */
export class TestpayProvider implements PaymentProvider {
  static readonly identifier = 'testpay';
  readonly name = TestpayProvider.identifier;
  readonly capabilities = CAPABILITIES;
  readonly currencies: readonly string[];
  readonly configured: boolean;
  readonly reachabilityUrl: string;
  readonly inbound: InboundWebhookHandler;
  readonly telemetry: ProviderTelemetry;
  private readonly http: ProviderHttp;

  constructor(config: AppConfig, transport?: HttpTransport, options: ProviderOptions = {}) {
    const settings = providerSettings<TestpaySettings>(config, TestpayProvider.identifier);
    this.currencies = settings.currencies;
    this.configured = Boolean(settings.baseUrl && settings.apiToken);
    this.reachabilityUrl = settings.baseUrl;
    this.inbound = testpayWebhook(settings.webhookSecret);
    this.telemetry = options.telemetry ?? new ProviderTelemetry(TestpayProvider.identifier, config.providerCircuit);
    this.http = new ProviderHttp(
      {
        provider: TestpayProvider.identifier,
        baseUrl: settings.baseUrl,
        apiToken: settings.apiToken,
        timeoutMs: config.providerTimeoutMs,
        retryDelaysMs: options.retryDelaysMs,
        telemetry: this.telemetry,
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      },
      transport,
    );
  }

  async createPayment(input: CreateProviderPaymentInput): Promise<ProviderPayment> {
    requireCurrency(this, input.currency);
    const body = { amount: input.amount, currency: input.currency, reference: input.gatewayPaymentId };
    return toPayment(await this.http.requestBody({ operation: 'createPayment', method: 'POST', path: '/payments', body }));
  }

  async getPayment(providerPaymentId: string): Promise<ProviderPayment> {
    const path = `/payments/${encodeURIComponent(providerPaymentId)}`;
    return toPayment(await this.http.requestBody({ operation: 'getPayment', method: 'GET', path }));
  }

  async findPaymentByReference(reference: string): Promise<ProviderPayment | null> {
    const path = `/payments?reference=${encodeURIComponent(reference)}`;
    const body = (await this.http.requestBody({ operation: 'findPaymentByReference', method: 'GET', path })) as { items?: unknown[] };
    const first = body?.items?.[0];
    return first ? toPayment(first) : null;
  }

  onCall(listener: (call: ProviderCallRecord) => void): void {
    this.telemetry.onCall(listener);
  }

  health(): ProviderHealthReport {
    return this.telemetry.health();
  }

  onApplicationShutdown(): void {
    this.http.close();
  }
}
