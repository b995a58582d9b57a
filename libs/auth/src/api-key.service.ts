import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig, newId } from '@app/common';
import { ApiKeyEntity, ApiKeyRepository } from '@app/persistence';
import { RevocationListener } from './revocation-listener';
import { ADMIN_KEY_ID, ApiKey, CreatedApiKey, Principal, Scope, SCOPES } from './scopes';

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

const CACHE_LIMIT = 10_000;
const CACHE_TTL_MS = 60_000;

/**
 * Service keys are looked up in Postgres once and then cached, which takes a query off every request. A revoked
 * key must stop working at once on every instance: the revoking transaction NOTIFYs, every instance LISTENs and
 * drops the key, and while an instance is not listening (start-up, Postgres restarting) it caches nothing.
 */
@Injectable()
export class ApiKeyService implements OnModuleInit, OnApplicationShutdown {
  private readonly adminHash: Buffer;
  private readonly cache = new Map<string, { principal: Principal; at: number }>();
  private readonly revocations: RevocationListener;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: ApiKeyRepository,
  ) {
    this.adminHash = Buffer.from(hashKey(config.adminApiKey), 'hex');
    this.revocations = new RevocationListener(
      config.databaseUrl,
      (keyHash) => this.cache.delete(keyHash),
      () => this.cache.clear(),
    );
  }

  onModuleInit(): void {
    this.revocations.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.revocations.stop();
  }

  /** The principal for a presented key, or null. Revocation is read from Postgres, so it holds on every instance. */
  async authenticate(presented: string): Promise<Principal | null> {
    const hash = hashKey(presented);
    if (timingSafeEqual(Buffer.from(hash, 'hex'), this.adminHash)) {
      return { keyId: ADMIN_KEY_ID, name: 'admin', scopes: new Set(SCOPES), isAdmin: true };
    }
    const cached = this.cache.get(hash);
    if (cached && this.revocations.listening && Date.now() - cached.at < CACHE_TTL_MS) return cached.principal;
    const row = await this.keys.findActiveByHash(hash);
    if (!row) return null;
    const scopes = new Set(row.scopes as Scope[]);
    const principal: Principal = { keyId: row.id, name: row.name, scopes, isAdmin: scopes.has('admin') };
    if (this.revocations.listening) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(hash, { principal, at: Date.now() });
    }
    return principal;
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

  async list(): Promise<ApiKey[]> {
    const rows = await this.keys.listActive();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      scopes: row.scopes as Scope[],
      keyPrefix: row.keyPrefix,
      createdAt: row.createdAt.toISOString(),
    }));
  }

  /**
   * Revokes the key and returns once this instance's own listener has heard the revocation (at most a second):
   * Postgres sends the notification to every listening instance at commit, so by then the others have it too.
   */
  async revoke(id: string): Promise<boolean> {
    const hash = await this.keys.revoke(id);
    if (!hash) return false;
    this.cache.delete(hash);
    await this.revocations.heard(hash, 1000);
    return true;
  }
}
