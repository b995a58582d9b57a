import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { ApiKeyEntity } from '../entities/api-key.entity';

/** The Postgres channel a revocation is announced on (the payload is the key's hash). */
export const API_KEY_REVOKED_CHANNEL = 'paygw_api_key_revoked';

@Injectable()
export class ApiKeyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(ApiKeyEntity);
  }

  async insert(key: ApiKeyEntity): Promise<void> {
    await this.repo.insert(key);
  }

  async findActiveByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return this.repo.findOneBy({ keyHash, revokedAt: IsNull() });
  }

  async listActive(): Promise<ApiKeyEntity[]> {
    return this.repo.find({ where: { revokedAt: IsNull() }, order: { id: 'DESC' } });
  }

  /**
   * Returns the revoked key's hash, or null when there was no active key with that id. The NOTIFY is delivered
   * when the transaction commits, to every gateway instance, which then stops trusting its cached copy.
   */
  async revoke(id: string): Promise<string | null> {
    return this.dataSource.transaction(async (manager) => {
      // TypeORM answers an UPDATE … RETURNING with [rows, affected].
      const [rows]: [Array<{ key_hash: string }>, number] = await manager.query(
        `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING key_hash`,
        [id],
      );
      if (rows.length === 0) return null;
      await manager.query(`SELECT pg_notify($1, $2)`, [API_KEY_REVOKED_CHANNEL, rows[0].key_hash]);
      return rows[0].key_hash;
    });
  }
}
