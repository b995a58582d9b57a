import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { WebhookVerificationError } from './errors';
import { signWebhook, verifyWebhook } from './webhooks';

// The published Standard Webhooks / Svix test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const NOW = 1_732_240_000;
const EVENT = {
  id: 'evt_01jd3k9x7w8r5q2m4n6p8s0t1v',
  type: 'payment.succeeded',
  timestamp: '2024-11-22T01:46:40.000Z',
  data: { id: 'pay_01jd3k9x7w8r5q2m4n6p8s0t1v', object: 'payment', status: 'succeeded', amount: 12399, currency: 'USD' },
};

function delivery(secret = SECRET, timestamp = NOW, body = JSON.stringify(EVENT)) {
  return {
    body,
    headers: { 'webhook-id': EVENT.id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(secret, EVENT.id, timestamp, body) },
  };
}

function verifyError(run: () => unknown): WebhookVerificationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    return error as WebhookVerificationError;
  }
  throw new Error('expected a WebhookVerificationError');
}

describe('signWebhook / verifyWebhook (Standard Webhooks)', () => {
  it('signs the published known-answer vector exactly, as the standardwebhooks package does', () => {
    expect(signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
    expect(new Webhook(VECTOR.secret).sign(VECTOR.id, new Date(VECTOR.timestamp * 1000), VECTOR.body)).toBe(VECTOR.signature);
  });

  it('accepts what the standardwebhooks package signs, and the package accepts what it signs', () => {
    const body = JSON.stringify(EVENT);
    const now = Math.floor(Date.now() / 1000);
    const theirs = new Webhook(SECRET).sign(EVENT.id, new Date(now * 1000), body);
    const headers = { 'webhook-id': EVENT.id, 'webhook-timestamp': String(now), 'webhook-signature': theirs };
    expect(verifyWebhook(body, headers, SECRET)).toEqual(EVENT);
    expect(signWebhook(SECRET, EVENT.id, now, body)).toBe(theirs);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(EVENT);
  });

  it('returns the typed event for a valid delivery (string, Buffer, Headers, mixed-case header names)', () => {
    const { body, headers } = delivery();
    const event = verifyWebhook(body, headers, SECRET, { now: NOW * 1000 });
    expect(event).toEqual(EVENT);
    expect(event.type === 'payment.succeeded' && event.data.amount).toBe(12399);
    expect(verifyWebhook(Buffer.from(body), new Headers(headers), SECRET, { now: new Date(NOW * 1000) })).toEqual(EVENT);
    const upper = { 'Webhook-Id': headers['webhook-id'], 'Webhook-Timestamp': headers['webhook-timestamp'], 'Webhook-Signature': headers['webhook-signature'] };
    expect(verifyWebhook(body, upper, SECRET, { now: NOW * 1000 })).toEqual(EVENT);
  });

  it('accepts when any one of several space-separated signatures matches (secret rotation)', () => {
    const { body, headers } = delivery();
    const other = signWebhook(`whsec_${randomBytes(32).toString('base64')}`, EVENT.id, NOW, body);
    const signatures = `v2,abc ${other} ${headers['webhook-signature']}`;
    expect(verifyWebhook(body, { ...headers, 'webhook-signature': signatures }, SECRET, { now: NOW * 1000 })).toEqual(EVENT);
  });

  it('accepts a delivery signed by either secret when given both (the receiver side of a rotation)', () => {
    const oldSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const signedByOld = delivery(oldSecret);
    const signedByNew = delivery(SECRET);
    expect(verifyWebhook(signedByOld.body, signedByOld.headers, [SECRET, oldSecret], { now: NOW * 1000 })).toEqual(EVENT);
    expect(verifyWebhook(signedByNew.body, signedByNew.headers, [SECRET, oldSecret], { now: NOW * 1000 })).toEqual(EVENT);
    const stranger = `whsec_${randomBytes(32).toString('base64')}`;
    expect(verifyError(() => verifyWebhook(signedByOld.body, signedByOld.headers, [SECRET, stranger], { now: NOW * 1000 })).code).toBe('invalid_signature');
    expect(verifyError(() => verifyWebhook(signedByOld.body, signedByOld.headers, [], { now: NOW * 1000 })).code).toBe('invalid_secret');
  });

  it('rejects a tampered body', () => {
    const { body, headers } = delivery();
    const tampered = body.replace('12399', '1');
    expect(verifyError(() => verifyWebhook(tampered, headers, SECRET, { now: NOW * 1000 })).code).toBe('invalid_signature');
  });

  it('rejects a tampered id or timestamp (both are signed)', () => {
    const { body, headers } = delivery();
    expect(verifyError(() => verifyWebhook(body, { ...headers, 'webhook-id': 'evt_other' }, SECRET, { now: NOW * 1000 })).code).toBe('invalid_signature');
    expect(verifyError(() => verifyWebhook(body, { ...headers, 'webhook-timestamp': String(NOW + 1) }, SECRET, { now: NOW * 1000 })).code).toBe('invalid_signature');
  });

  it('rejects the wrong secret', () => {
    const { body, headers } = delivery();
    const wrong = `whsec_${randomBytes(32).toString('base64')}`;
    expect(verifyError(() => verifyWebhook(body, headers, wrong, { now: NOW * 1000 })).code).toBe('invalid_signature');
    expect(verifyError(() => verifyWebhook(body, headers, 'whsec_', { now: NOW * 1000 })).code).toBe('invalid_secret');
  });

  it('rejects stale and future timestamps beyond the tolerance, and accepts them within it', () => {
    const { body, headers } = delivery();
    expect(verifyError(() => verifyWebhook(body, headers, SECRET, { now: (NOW + 301) * 1000 })).code).toBe('timestamp_too_old');
    expect(verifyError(() => verifyWebhook(body, headers, SECRET, { now: (NOW - 301) * 1000 })).code).toBe('timestamp_too_new');
    expect(verifyWebhook(body, headers, SECRET, { now: (NOW + 300) * 1000 })).toEqual(EVENT);
    expect(verifyWebhook(body, headers, SECRET, { now: (NOW - 300) * 1000 })).toEqual(EVENT);
    expect(verifyError(() => verifyWebhook(body, headers, SECRET, { now: (NOW + 11) * 1000, toleranceSeconds: 10 })).code).toBe('timestamp_too_old');
    // With the real clock, a delivery signed long ago is stale.
    expect(verifyError(() => verifyWebhook(body, headers, SECRET)).code).toBe('timestamp_too_old');
  });

  it('rejects missing headers and a malformed timestamp', () => {
    const { body, headers } = delivery();
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const without: Record<string, string> = { ...headers };
      delete without[name];
      expect(verifyError(() => verifyWebhook(body, without, SECRET, { now: NOW * 1000 })).code).toBe('missing_headers');
    }
    expect(verifyError(() => verifyWebhook(body, {}, SECRET)).code).toBe('missing_headers');
    expect(verifyError(() => verifyWebhook(body, { ...headers, 'webhook-timestamp': '2024-11-22' }, SECRET)).code).toBe('invalid_timestamp');
  });

  it('rejects a signature without the v1 prefix or of the wrong length', () => {
    const { body, headers } = delivery();
    const bare = headers['webhook-signature'].slice('v1,'.length);
    expect(verifyError(() => verifyWebhook(body, { ...headers, 'webhook-signature': bare }, SECRET, { now: NOW * 1000 })).code).toBe('invalid_signature');
    expect(verifyError(() => verifyWebhook(body, { ...headers, 'webhook-signature': 'v1,AAAA' }, SECRET, { now: NOW * 1000 })).code).toBe('invalid_signature');
  });

  it('rejects a correctly signed body that is not an event', () => {
    const { body, headers } = delivery(SECRET, NOW, '{"hello":"world"}');
    expect(verifyError(() => verifyWebhook(body, headers, SECRET, { now: NOW * 1000 })).code).toBe('invalid_payload');
    const notJson = delivery(SECRET, NOW, 'not json');
    expect(verifyError(() => verifyWebhook(notJson.body, notJson.headers, SECRET, { now: NOW * 1000 })).code).toBe('invalid_payload');
  });
});
