import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig, boundedSet, newId } from '@app/common';
import { ApiKeyEntity, ApiKeyRepository } from '@app/persistence';
import { RevocationListener } from './revocation-listener';
import { ADMIN_KEY_ID, ApiKey, CreatedApiKey, Principal, Scope, SCOPES } from './scopes';

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

const CACHE_LIMIT = 10_000;

/**
 * Service keys are looked up in Postgres once and then cached, which takes a query off every request. A revoked
 * key must stop working at once on every instance: the revoking transaction NOTIFYs, every instance LISTENs and
 * drops the key, and while an instance is not listening (start-up, Postgres restarting) it caches nothing.
 *
 * The bound when that fails: a cache entry is trusted for API_KEY_CACHE_TTL_MS (5 s) at most, so an instance that
 * missed a notification (still delivering it, or a connection that died silently) refuses the revoked key that long
 * after the revoke at the latest. A lost LISTEN connection clears the cache at once. And a lookup that was already
 * running when a revocation (or a gap) was heard does not cache what it read: it may have read the key before the
 * revoke committed.
 */
@Injectable()
export class ApiKeyService implements OnModuleInit, OnApplicationShutdown {
  private readonly adminHash: Buffer;
  private readonly cache = new Map<string, { principal: Principal; at: number }>();
  /** Listening for revocations; public for health checks and tests (`listening`, `heard`). */
  readonly revocations: RevocationListener;
  private readonly cacheTtlMs: number;
  /** Bumped on every revocation heard and every gap: a lookup that saw it change while it ran caches nothing. */
  private generation = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: ApiKeyRepository,
  ) {
    this.adminHash = Buffer.from(hashKey(config.adminApiKey), 'hex');
    this.cacheTtlMs = config.apiKeyCacheTtlMs;
    this.revocations = new RevocationListener(
      config.databaseUrl,
      (keyHash) => {
        this.generation++;
        this.cache.delete(keyHash);
      },
      () => {
        this.generation++;
        this.cache.clear();
      },
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
    if (cached && this.revocations.listening && Date.now() - cached.at < this.cacheTtlMs) return cached.principal;
    const generation = this.generation;
    const row = await this.keys.findActiveByHash(hash);
    if (!row) return null;
    const scopes = new Set(row.scopes as Scope[]);
    const principal: Principal = { keyId: row.id, name: row.name, scopes, isAdmin: scopes.has('admin') };
    if (this.revocations.listening && this.cacheTtlMs > 0 && generation === this.generation) {
      boundedSet(this.cache, hash, { principal, at: Date.now() }, CACHE_LIMIT);
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
   * Revokes the key and returns once every instance listening now has dropped it (each acknowledges the
   * notification), or after a second: an instance that has not answered by then has lost its connection (and its
   * cache with it) or is bounded by the cache's TTL.
   */
  async revoke(id: string): Promise<boolean> {
    const listeners = await this.revocations.listeners();
    const hash = await this.keys.revoke(id);
    if (!hash) return false;
    this.generation++;
    this.cache.delete(hash);
    await this.revocations.acknowledged(hash, Math.max(1, listeners), 1000);
    return true;
  }
}
