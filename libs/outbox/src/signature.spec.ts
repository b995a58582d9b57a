import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, signWebhook, webhookHeaders } from './signature';

describe('Standard Webhooks signature', () => {
  // A fixed secret: "whsec_" + base64 of the 32 bytes 0x00..0x1f.
  const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  const secret = `whsec_${key.toString('base64')}`;
  const id = 'evt_01jd0000000000000000000000';
  const timestamp = 1_732_250_000;
  const body = '{"id":"evt_01jd0000000000000000000000","type":"payment.succeeded","timestamp":"2024-11-22T04:33:20.000Z","data":{"amount":12399}}';

  it('signs "{id}.{timestamp}.{body}" with HMAC-SHA256 keyed by the decoded secret (known answer)', () => {
    const expected = `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
    expect(signWebhook(secret, id, timestamp, body)).toBe(expected);
    expect(signWebhook(secret, id, timestamp, body)).toBe('v1,tstz5SkTYBZ1RAgzaMnFJyLi5pIBqc1EsB4fs2QTCMA=');
    expect(new Webhook(secret).sign(id, new Date(timestamp * 1000), body)).toBe(expected);
  });

  it('produces headers the standardwebhooks package accepts', () => {
    const fresh = newWebhookSecret();
    expect(fresh).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(fresh, id, now, body);
    expect(headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(now) });
    expect(new Webhook(fresh).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(fresh).verify(`${body} `, headers)).toThrow();
  });

  it('signs with every secret given, current first, and standardwebhooks verifies with either (rotation grace)', () => {
    const current = newWebhookSecret();
    const previous = newWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders([current, previous], id, now, body);
    const entries = headers['webhook-signature'].split(' ');
    expect(entries).toEqual([signWebhook(current, id, now, body), signWebhook(previous, id, now, body)]);
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => webhookHeaders([], id, now, body)).toThrow();
  });
});
