import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InboundWebhookError, type InboundWebhookHandler } from '@app/payments';
import { parseJsonObject } from '../shared/inbound';
import { FLEXIQASH_SIGNATURE_HEADER } from './flexiqash.config';
import { fromFlexiqashNotification } from './flexiqash.mapper';

/** FlexiQash's signature: `sha256=<hex HMAC-SHA256 of the raw body>`, compared in constant time. */
export function verifyFlexiqashSignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header || !/^sha256=[0-9a-fA-F]{64}$/.test(header)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Signed notifications naming the payment by `paymentReference` (FlexiQash's payment id). */
export function flexiqashWebhook(webhookSecret: string, currency: string): InboundWebhookHandler {
  return {
    authenticated: true,
    summary: 'FlexiQash payment notification (signed; the payment is then re-read from FlexiQash)',
    signatureHeader: {
      name: FLEXIQASH_SIGNATURE_HEADER,
      description: 'sha256=<hex HMAC-SHA256 of the raw body with FLEXIQASH_WEBHOOK_SECRET>',
    },
    parse({ rawBody, headers }) {
      const header = headers[FLEXIQASH_SIGNATURE_HEADER];
      const signature = Array.isArray(header) ? header[0] : header;
      if (!rawBody || !verifyFlexiqashSignature(webhookSecret, rawBody, signature)) {
        throw new InboundWebhookError('invalid_signature', 'X-FlexiQash-Signature is missing or does not match the body');
      }
      const body = parseJsonObject(rawBody);
      const reference = body?.paymentReference;
      if (typeof reference !== 'string' || reference.length === 0 || reference.length > 255) {
        throw new InboundWebhookError('invalid_webhook', 'paymentReference is missing', { name: 'paymentReference', problem: 'must be a non-empty string' });
      }
      // FlexiQash retries a failed delivery up to three times with the same body: the body identifies the delivery.
      return {
        action: 'refresh',
        resource: 'payment',
        providerId: reference,
        dedupeKey: createHash('sha256').update(rawBody).digest('hex'),
        evidence: signedEvidence(body, currency),
      };
    },
  };
}

/** Signed, the notification is evidence in itself; a body not of the documented shape is a hint only. */
function signedEvidence(body: unknown, currency: string): { succeeded: boolean; amount: number | null } | undefined {
  try {
    const notification = fromFlexiqashNotification(body, currency);
    return { succeeded: notification.succeeded, amount: notification.amount };
  } catch {
    return undefined;
  }
}
