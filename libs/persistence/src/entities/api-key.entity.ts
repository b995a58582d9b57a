import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text', { array: true }) scopes: string[];
  /** SHA-256 of the key: keys are 256-bit random, so a fast hash cannot be brute-forced and lookups stay cheap. */
  @Column('text', { name: 'key_hash', unique: true }) keyHash: string;
  @Column('text', { name: 'key_prefix' }) keyPrefix: string;
  @Column('text', { name: 'created_by' }) createdBy: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
}
