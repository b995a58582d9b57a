import { createCipheriv, createDecipheriv, createHash, createSecretKey, KeyObject, randomBytes } from 'node:crypto';

/**
 * Keys that encrypt secrets at rest (AES-256-GCM). New values are sealed with `currentId`; a value sealed with an
 * older key still opens while that key is listed, which is how the key is rotated without a flag day.
 */
export interface SecretsKeyring {
  currentId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export interface SealedSecret {
  keyId: string;
  /** base64 of iv (12 bytes) | tag (16 bytes) | ciphertext. */
  sealed: string;
}

const IV_BYTES = 12;
/** Each keyring key as a KeyObject, made once: Node checks a Buffer key by throwing and catching inside every call. */
const keyObjects = new WeakMap<Buffer, KeyObject>();
function keyObject(key: Buffer): KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = createSecretKey(key);
    keyObjects.set(key, object);
  }
  return object;
}
const TAG_BYTES = 16;

/**
 * The development key: fixed, so a dev database survives restarts. It is refused when NODE_ENV=production (config
 * demands SECRETS_ENCRYPTION_KEY there), and it is public, so it protects nothing: it only keeps the code path the same.
 */
export const DEVELOPMENT_SECRETS_KEY_ID = 'dev';
export const DEVELOPMENT_SECRETS_KEY = createHash('sha256').update('paygw development secrets key, not for production').digest();

export function developmentKeyring(): SecretsKeyring {
  return { currentId: DEVELOPMENT_SECRETS_KEY_ID, keys: new Map([[DEVELOPMENT_SECRETS_KEY_ID, DEVELOPMENT_SECRETS_KEY]]) };
}

/**
 * Encrypts `plaintext`. `context` is bound as additional data (e.g. the row's id), so a ciphertext copied to
 * another row does not open there.
 */
export function sealSecret(keyring: SecretsKeyring, plaintext: string, context: string): SealedSecret {
  const key = keyring.keys.get(keyring.currentId);
  if (!key) throw new Error(`secrets keyring has no key "${keyring.currentId}"`);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyObject(key), iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { keyId: keyring.currentId, sealed: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64') };
}

export class SecretUnavailableError extends Error {
  override readonly name = 'SecretUnavailableError';
}

/** Decrypts a value sealed by sealSecret; throws SecretUnavailableError (never echoing the value) when it cannot. */
export function openSecret(keyring: SecretsKeyring, secret: SealedSecret, context: string): string {
  const key = keyring.keys.get(secret.keyId);
  if (!key) throw new SecretUnavailableError(`no key "${secret.keyId}" in SECRETS_ENCRYPTION_KEY / SECRETS_ENCRYPTION_OLD_KEYS`);
  const raw = Buffer.from(secret.sealed, 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretUnavailableError('sealed secret is too short');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyObject(key), raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretUnavailableError(`sealed secret does not open with key "${secret.keyId}" (wrong key or altered value)`);
  }
}

/** A 32-byte key given as base64 (44 characters) or hex (64); null when it is neither. */
export function parseSecretsKey(text: string): Buffer | null {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return key.length === 32 ? key : null;
  }
  return null;
}
