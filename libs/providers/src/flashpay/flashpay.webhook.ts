import { createHash } from 'node:crypto';
import { InboundWebhookError, type InboundWebhookHandler } from '@app/payments';
import { parseJsonObject } from '../shared/inbound';

/**
 * Flashpay posts the payment object to the `statusWebhook` it was given, unsigned. Anyone could send one, so the
 * body is only a pointer: the gateway re-reads the payment from Flashpay (and limits how often, per payment).
 */
export const flashpayWebhook: InboundWebhookHandler = {
  authenticated: false,
  summary: 'Flashpay payment status callback (trusted only after re-reading the payment from Flashpay)',
  parse({ rawBody }) {
    const id = rawBody ? parseJsonObject(rawBody)?.id : undefined;
    if (typeof id !== 'string' || id.length === 0 || id.length > 255) {
      throw new InboundWebhookError('invalid_webhook', 'id is missing', { name: 'id', problem: 'must be a non-empty string' });
    }
    return { action: 'refresh', resource: 'payment', providerId: id, dedupeKey: createHash('sha256').update(rawBody!).digest('hex') };
  },
};
