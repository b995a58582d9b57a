import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError, APP_CONFIG, AppConfig } from '@app/common';
import { ProviderError, ProviderName } from '@app/payments';
import { PaymentRepository, WebhookRepository } from '@app/persistence';
import { verifyFlexiqashSignature } from '@app/outbox';
import { PaymentLifecycleService, SignedPaymentEvidence } from '@app/lifecycle';
import { fromFlexiqashNotification } from '@app/providers';

export interface InboundResult {
  received: true;
  outcome: 'applied' | 'duplicate' | 'unknown_payment';
}

/**
 * Provider notifications are hints: the gateway never takes a status from a webhook body. It finds the payment,
 * re-reads it from the provider (FlexiQash: its transactions; Flashpay: the payment), and applies what the
 * provider says through the same path as every other change, so duplicates change nothing and emit nothing twice.
 */
@Injectable()
export class InboundWebhooksService {
  private readonly logger = new Logger(InboundWebhooksService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly payments: PaymentRepository,
    private readonly webhooks: WebhookRepository,
    private readonly lifecycle: PaymentLifecycleService,
  ) {}

  async flexiqash(rawBody: Buffer | undefined, signature: string | undefined): Promise<InboundResult> {
    if (!rawBody || !verifyFlexiqashSignature(this.config.flexiqash.webhookSecret, rawBody, signature)) {
      throw new ApiError(401, 'authentication', 'invalid_signature', 'X-FlexiQash-Signature is missing or does not match the body');
    }
    const body = parseObject(rawBody);
    const reference = body?.paymentReference;
    if (typeof reference !== 'string' || reference.length === 0 || reference.length > 255) {
      throw ApiError.invalid('paymentReference is missing', [{ field: 'paymentReference', message: 'must be a non-empty string' }], 'invalid_webhook');
    }
    // Signed, the notification is evidence in itself: it decides when the re-read finds the payment deleted.
    const evidence = signedEvidence(body, this.config.flexiqash.currency);
    // FlexiQash retries a failed delivery up to three times with the same body: the body identifies the delivery.
    return this.handle('flexiqash', reference, digest(rawBody), evidence);
  }

  async flashpay(rawBody: Buffer | undefined): Promise<InboundResult> {
    const body = rawBody ? parseObject(rawBody) : null;
    const id = body?.id;
    if (typeof id !== 'string' || id.length === 0 || id.length > 255) {
      throw ApiError.invalid('id is missing', [{ field: 'id', message: 'must be a non-empty string' }], 'invalid_webhook');
    }
    return this.handle('flashpay', id, digest(rawBody!));
  }

  private async handle(provider: ProviderName, providerPaymentId: string, dedupeKey: string, evidence?: SignedPaymentEvidence): Promise<InboundResult> {
    if (await this.webhooks.wasInboundSeen(provider, dedupeKey)) return { received: true, outcome: 'duplicate' };
    const payment = await this.payments.findByProviderId(provider, providerPaymentId);
    if (!payment) {
      // Answered 200 so the provider stops retrying: a payment we never created will not appear later.
      this.logger.warn(`${provider} webhook for unknown payment ${providerPaymentId}`);
      await this.webhooks.recordInbound(provider, dedupeKey, null, 'unknown_payment');
      return { received: true, outcome: 'unknown_payment' };
    }
    try {
      await this.lifecycle.refreshPayment(payment.id, evidence);
    } catch (error) {
      // Not recorded as seen: the provider's retry, or reconciliation, will try again.
      const reason = error instanceof ProviderError ? `${error.kind}: ${error.message}` : (error as Error).message;
      this.logger.warn(`${provider} webhook for ${payment.id}: could not confirm with the provider (${reason})`);
      throw new ApiError(503, 'provider_unavailable', 'confirmation_failed', 'Could not confirm the notification with the provider; retry later');
    }
    await this.webhooks.recordInbound(provider, dedupeKey, payment.id, 'applied');
    return { received: true, outcome: 'applied' };
  }
}

function signedEvidence(body: unknown, currency: string): SignedPaymentEvidence | undefined {
  try {
    const notification = fromFlexiqashNotification(body, currency);
    return { succeeded: notification.succeeded, amount: notification.amount };
  } catch {
    return undefined; // not the documented shape: a hint only
  }
}

function digest(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

function parseObject(raw: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
