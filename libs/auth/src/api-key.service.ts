import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig, newId } from '@app/common';
import { ApiKeyEntity, ApiKeyRepository } from '@app/persistence';
import { ADMIN_KEY_ID, Principal, Scope, SCOPES } from './scopes';

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface CreatedApiKey {
  id: string;
  name: string;
  scopes: Scope[];
  key: string;
  createdAt: string;
}

@Injectable()
export class ApiKeyService {
  private readonly adminHash: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: ApiKeyRepository,
  ) {
    this.adminHash = Buffer.from(hashKey(config.adminApiKey), 'hex');
  }

  /** The principal for a presented key, or null. Revocation is read from Postgres, so it holds on every instance. */
  async authenticate(presented: string): Promise<Principal | null> {
    const hash = hashKey(presented);
    if (timingSafeEqual(Buffer.from(hash, 'hex'), this.adminHash)) {
      return { keyId: ADMIN_KEY_ID, name: 'admin', scopes: new Set(SCOPES), isAdmin: true };
    }
    const row = await this.keys.findActiveByHash(hash);
    if (!row) return null;
    const scopes = new Set(row.scopes as Scope[]);
    return { keyId: row.id, name: row.name, scopes, isAdmin: scopes.has('admin') };
  }

  async create(name: string, scopes: Scope[], createdBy: string): Promise<CreatedApiKey> {
    const key = `sk_${randomBytes(32).toString('base64url')}`;
    const entity: ApiKeyEntity = {
      id: newId('key'),
      name,
      scopes: [...new Set(scopes)],
      keyHash: hashKey(key),
      keyPrefix: key.slice(0, 7),
      createdBy,
      createdAt: new Date(),
      revokedAt: null,
    };
    await this.keys.insert(entity);
    return { id: entity.id, name, scopes: entity.scopes as Scope[], key, createdAt: entity.createdAt.toISOString() };
  }

  async list(): Promise<Array<Omit<CreatedApiKey, 'key'> & { keyPrefix: string }>> {
    const rows = await this.keys.listActive();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      scopes: row.scopes as Scope[],
      keyPrefix: row.keyPrefix,
      createdAt: row.createdAt.toISOString(),
    }));
  }

  revoke(id: string): Promise<boolean> {
    return this.keys.revoke(id);
  }
}
