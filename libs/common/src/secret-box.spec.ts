import { randomBytes } from 'node:crypto';
import { loadConfig as load, loadSecretsKeyring, ProviderConfigSchema } from './config';
import { developmentKeyring, openSecret, parseSecretsKey, sealSecret, SecretUnavailableError } from './secret-box';

/** One provider known only here: the core's configuration is provider-neutral. */
const ALPHA: ProviderConfigSchema = { name: 'alpha', parse: () => ({ currencies: ['USD'] }), secrets: () => [] };
const loadConfig = (env: Record<string, string>) => load(env, [ALPHA]);

describe('secrets at rest (AES-256-GCM)', () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;

  it('seals to a value that holds no trace of the secret and opens back to it under the same key and context', () => {
    const keyring = developmentKeyring();
    const sealed = sealSecret(keyring, secret, 'we_1');
    expect(sealed.keyId).toBe('dev');
    expect(sealed.sealed).not.toContain('whsec_');
    expect(Buffer.from(sealed.sealed, 'base64').toString('latin1')).not.toContain(secret.slice(6, 20));
    expect(sealSecret(keyring, secret, 'we_1').sealed).not.toBe(sealed.sealed); // a fresh IV each time
    expect(openSecret(keyring, sealed, 'we_1')).toBe(secret);
  });

  it("refuses another row's context, an altered value and an unknown key, without echoing the value", () => {
    const keyring = developmentKeyring();
    const sealed = sealSecret(keyring, secret, 'we_1');
    expect(() => openSecret(keyring, sealed, 'we_2')).toThrow(SecretUnavailableError);
    const raw = Buffer.from(sealed.sealed, 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => openSecret(keyring, { ...sealed, sealed: raw.toString('base64') }, 'we_1')).toThrow(SecretUnavailableError);
    const error = (() => {
      try {
        openSecret(keyring, { ...sealed, keyId: 'k9' }, 'we_1');
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a failure');
    })();
    expect(error.message).toContain('k9');
    expect(error.message).not.toContain(sealed.sealed);
  });

  it('rotates the key: values sealed with the old key still open while it is listed in SECRETS_ENCRYPTION_OLD_KEYS', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = loadSecretsKeyring({ SECRETS_ENCRYPTION_KEY: oldKey.toString('base64'), SECRETS_ENCRYPTION_KEY_ID: 'k1' }, true);
    const sealed = sealSecret(before, secret, 'we_1');
    const after = loadSecretsKeyring(
      { SECRETS_ENCRYPTION_KEY: newKey.toString('hex'), SECRETS_ENCRYPTION_KEY_ID: 'k2', SECRETS_ENCRYPTION_OLD_KEYS: `k1:${oldKey.toString('base64')}` },
      true,
    );
    expect(after.currentId).toBe('k2');
    expect(openSecret(after, sealed, 'we_1')).toBe(secret);
    expect(sealSecret(after, secret, 'we_1').keyId).toBe('k2');
    const without = loadSecretsKeyring({ SECRETS_ENCRYPTION_KEY: newKey.toString('hex'), SECRETS_ENCRYPTION_KEY_ID: 'k2' }, true);
    expect(() => openSecret(without, sealed, 'we_1')).toThrow(SecretUnavailableError);
  });

  it('is required in production, with a development default otherwise; a bad key names the variable, never the value', () => {
    const production = { NODE_ENV: 'production', ADMIN_API_KEY: 'a'.repeat(32),  };
    expect(() => loadConfig(production)).toThrow(/SECRETS_ENCRYPTION_KEY is required/);
    expect(loadConfig({ ...production, SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64') }).secrets.currentId).toBe('k1');
    expect(loadConfig({}).secrets.currentId).toBe('dev');
    const bad = 'not-a-key-but-maybe-a-secret';
    expect(() => loadConfig({ SECRETS_ENCRYPTION_KEY: bad })).toThrow(/SECRETS_ENCRYPTION_KEY must be 32 bytes/);
    try {
      loadConfig({ SECRETS_ENCRYPTION_KEY: bad });
    } catch (error) {
      expect((error as Error).message).not.toContain(bad);
    }
    expect(() => loadConfig({ SECRETS_ENCRYPTION_OLD_KEYS: 'k1:short' })).toThrow(/SECRETS_ENCRYPTION_OLD_KEYS must be id:key pairs/);
    expect(parseSecretsKey(randomBytes(16).toString('base64'))).toBeNull();
  });
});
