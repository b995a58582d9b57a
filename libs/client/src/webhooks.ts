import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from './errors';
import type { WebhookEvent } from './types';

const SECRET_PREFIX = 'whsec_';

/** Header values as node:http (`IncomingHttpHeaders`), fetch (`Headers`) or a plain object give them. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way. Default 300 s (the Standard Webhooks default). */
  toleranceSeconds?: number;
  /** The current time (a Date, or milliseconds since the epoch); default the clock. */
  now?: Date | number;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  let value = record[name];
  if (value === undefined) {
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  return Array.isArray(value) ? value.join(' ') : value;
}

function secretKey(secret: string): Buffer {
  if (typeof secret !== 'string') throw new WebhookVerificationError('invalid_secret', 'The webhook secret must be a string');
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  if (key.length === 0) throw new WebhookVerificationError('invalid_secret', 'The webhook secret is empty or not base64');
  return key;
}

function bodyBytes(rawBody: string | Uint8Array): Buffer {
  return typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
}

function mac(key: Buffer, id: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(body).digest();
}

/**
 * The `webhook-signature` value for a body (Standard Webhooks `v1`): for testing your receiver. The gateway signs
 * its deliveries the same way.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, rawBody: string | Uint8Array): string {
  return `v1,${mac(secretKey(secret), id, String(timestampSeconds), bodyBytes(rawBody)).toString('base64')}`;
}

/**
 * Checks a webhook delivery from the gateway and returns its event. Pass the body exactly as received (the raw
 * bytes or string, not re-serialized JSON), the request's headers, and the endpoint's `whsec_…` secret. While a
 * secret is being rotated, pass both (`[newSecret, oldSecret]`): a delivery signed with either is accepted (during
 * the gateway's grace period each delivery carries a signature by each secret).
 *
 * Standard Webhooks: `webhook-signature` holds one or more space-separated `v1,<base64 HMAC-SHA256>` of
 * `"{webhook-id}.{webhook-timestamp}.{body}"` keyed with the base64-decoded secret after `whsec_`; any one that
 * matches (compared in constant time) will do. `webhook-timestamp` (Unix seconds) must be within
 * `toleranceSeconds` of now, so a captured delivery cannot be replayed later. The same event may arrive more than
 * once (retries, redeliveries): `event.id` (= `webhook-id`) is the key to deduplicate on.
 *
 * @throws WebhookVerificationError with `code` missing_headers, invalid_timestamp, timestamp_too_old,
 *   timestamp_too_new, invalid_signature, invalid_secret or invalid_payload.
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): WebhookEvent {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError('missing_headers', 'webhook-id, webhook-timestamp and webhook-signature are required');
  }
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError('invalid_timestamp', 'webhook-timestamp is not Unix seconds');
  const tolerance = options.toleranceSeconds ?? 300;
  const nowMs = options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.getTime();
  const age = Math.floor(nowMs / 1000) - Number(timestamp);
  if (age > tolerance) throw new WebhookVerificationError('timestamp_too_old', `webhook-timestamp is ${age} s old (tolerance ${tolerance} s)`);
  if (-age > tolerance) throw new WebhookVerificationError('timestamp_too_new', `webhook-timestamp is ${-age} s in the future (tolerance ${tolerance} s)`);

  const body = bodyBytes(rawBody);
  const secrets = typeof secret === 'string' ? [secret] : [...secret];
  if (secrets.length === 0) throw new WebhookVerificationError('invalid_secret', 'At least one webhook secret is needed');
  const expected = secrets.map((one) => mac(secretKey(one), id, timestamp, body));
  let matched = false;
  for (const candidate of signatures.split(' ')) {
    const comma = candidate.indexOf(',');
    if (comma < 0 || candidate.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(candidate.slice(comma + 1), 'base64');
    // Every candidate is compared with every secret (no early exit), each in constant time.
    for (const mine of expected) if (given.length === mine.length && timingSafeEqual(given, mine)) matched = true;
  }
  if (!matched) throw new WebhookVerificationError('invalid_signature', 'No webhook-signature matches the body with this secret');

  let event: unknown;
  try {
    event = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('invalid_payload', 'The body is not JSON');
  }
  const shape = event as Partial<WebhookEvent> | null;
  if (
    !shape ||
    typeof shape !== 'object' ||
    typeof shape.id !== 'string' ||
    typeof shape.timestamp !== 'string' ||
    // Any type string: a gateway newer than this client may send event types it does not know yet.
    typeof shape.type !== 'string' ||
    !shape.data ||
    typeof shape.data !== 'object'
  ) {
    throw new WebhookVerificationError('invalid_payload', 'The body is not a gateway event {id, type, timestamp, data}');
  }
  return event as WebhookEvent;
}
