import { createHmac, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { boundedGetOrMake } from '@app/common';

const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret: `whsec_` and 32 random bytes in base64 (the Standard Webhooks format). */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * The HMAC keys of the secrets signed with recently, as KeyObjects: decoding the secret and handing Node a Buffer
 * on every delivery cost the worker more than the HMAC itself. Bounded; the oldest entry goes first.
 */
const signingKeys = new Map<string, KeyObject>();
const SIGNING_KEYS_KEPT = 1024;

function secretKey(secret: string): KeyObject {
  return boundedGetOrMake(signingKeys, secret, SIGNING_KEYS_KEPT, () =>
    createSecretKey(Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64')),
  );
}

/**
 * Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed with the
 * base64-decoded part of the secret after `whsec_`.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/**
 * The Standard Webhooks headers. With several secrets (the current one and, during a rotation's grace period, the
 * previous one) the signature header carries one space-separated `v1,` entry per secret, current first: a
 * receiver that still holds the old secret and one that already holds the new one both verify it.
 */
export function webhookHeaders(secrets: string | readonly string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  const all = typeof secrets === 'string' ? [secrets] : secrets;
  if (all.length === 0) throw new Error('a webhook needs at least one secret to be signed');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': all.map((secret) => signWebhook(secret, id, timestampSeconds, body)).join(' '),
  };
}
