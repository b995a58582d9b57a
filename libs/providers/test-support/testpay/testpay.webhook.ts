import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InboundWebhookError, type InboundWebhookHandler } from '@app/payments';
import { TESTPAY_SIGNATURE_HEADER } from './testpay.config';

export function signTestpay(secret: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Signed `{event: "payment.changed", payment_id}`; `{event: "ping"}` is acknowledged and ignored. */
export function testpayWebhook(secret: string): InboundWebhookHandler {
  return {
    authenticated: true,
    summary: 'Testpay payment notification (signed)',
    signatureHeader: { name: TESTPAY_SIGNATURE_HEADER, description: 'hex HMAC-SHA256 of the raw body' },
    parse({ rawBody, headers }) {
      const header = headers[TESTPAY_SIGNATURE_HEADER];
      const given = Buffer.from(typeof header === 'string' && /^[0-9a-f]{64}$/.test(header) ? header : '', 'hex');
      const expected = rawBody ? Buffer.from(signTestpay(secret, rawBody), 'hex') : Buffer.alloc(0);
      if (!rawBody || given.length !== 32 || !timingSafeEqual(given, expected)) {
        throw new InboundWebhookError('invalid_signature', 'X-Testpay-Signature is missing or does not match the body');
      }
      let body: { event?: unknown; payment_id?: unknown } | null = null;
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        body = null;
      }
      if (body?.event === 'ping') return { action: 'ignore', reason: 'ping' };
      if (body?.event !== 'payment.changed' || typeof body.payment_id !== 'string' || body.payment_id === '') {
        throw new InboundWebhookError('invalid_webhook', 'payment_id is missing', { name: 'payment_id', problem: 'must be a non-empty string' });
      }
      return { action: 'refresh', resource: 'payment', providerId: body.payment_id, dedupeKey: createHash('sha256').update(rawBody).digest('hex') };
    },
  };
}
