import { developmentKeyring, sealSecret } from '@app/common';
import { endpointSecretContext } from '../migrations/1733200000000-outbound-webhooks-v2';
import { openEndpointSecrets, OpenedSecrets } from './webhook.repository';

describe('openEndpointSecrets with a cache of opened secrets', () => {
  const keyring = developmentKeyring();
  const id = 'we_cache';
  const seal = (secret: string) => sealSecret(keyring, secret, endpointSecretContext(id));
  const row = (current: string, previous: string | null, expiresAt: Date | null) => {
    const sealedCurrent = seal(current);
    const sealedPrevious = previous === null ? null : seal(previous);
    return {
      id,
      secret: sealedCurrent.sealed,
      secret_key_id: sealedCurrent.keyId,
      previous_secret: sealedPrevious?.sealed ?? null,
      previous_secret_key_id: sealedPrevious?.keyId ?? null,
      previous_secret_expires_at: expiresAt,
    };
  };

  it('opens each sealed value once and answers the same secrets as without it', () => {
    const opened: OpenedSecrets = new Map();
    const now = new Date('2026-12-01T12:00:00Z');
    const stored = row('whsec_new', 'whsec_old', new Date('2026-12-01T13:00:00Z'));
    expect(openEndpointSecrets(keyring, stored, now, opened)).toEqual(['whsec_new', 'whsec_old']);
    expect(opened.size).toBe(2);
    expect(openEndpointSecrets(keyring, stored, now, opened)).toEqual(openEndpointSecrets(keyring, stored, now));
    expect(opened.size).toBe(2);
  });

  it('still drops the previous secret once its grace period is over, and follows a rotation', () => {
    const opened: OpenedSecrets = new Map();
    const stored = row('whsec_new', 'whsec_old', new Date('2026-12-01T13:00:00Z'));
    expect(openEndpointSecrets(keyring, stored, new Date('2026-12-01T12:59:59Z'), opened)).toHaveLength(2);
    expect(openEndpointSecrets(keyring, stored, new Date('2026-12-01T13:00:01Z'), opened)).toEqual(['whsec_new']);
    const rotated = row('whsec_newer', 'whsec_new', new Date('2026-12-02T00:00:00Z'));
    expect(openEndpointSecrets(keyring, rotated, new Date('2026-12-01T14:00:00Z'), opened)).toEqual(['whsec_newer', 'whsec_new']);
  });
});
