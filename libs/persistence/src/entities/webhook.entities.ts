import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

@Entity('webhook_endpoints')
export class WebhookEndpointEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'owner_id' }) ownerId: string;
  @Column('text') url: string;
  @Column('text', { array: true }) events: string[];
  @Column('text', { nullable: true }) description: string | null;
  /**
   * The signing secret (`whsec_…`) sealed with AES-256-GCM (see sealSecret) under the key `secretKeyId`; opened only
   * to sign. Shown in clear once, when created or rotated; never logged or listed.
   */
  @Column('text') secret: string;
  @Column('text', { name: 'secret_key_id', nullable: true }) secretKeyId: string | null;
  /** The secret before the last rotation, sealed the same way; deliveries carry its signature until it expires. */
  @Column('text', { name: 'previous_secret', nullable: true }) previousSecret: string | null;
  @Column('text', { name: 'previous_secret_key_id', nullable: true }) previousSecretKeyId: string | null;
  @Column('timestamptz', { name: 'previous_secret_expires_at', nullable: true }) previousSecretExpiresAt: Date | null;
  @Column('boolean') enabled: boolean;
  @Column('text', { name: 'disabled_reason', nullable: true }) disabledReason: string | null;
  @Column('timestamptz', { name: 'disabled_at', nullable: true }) disabledAt: Date | null;
  /** Since when every attempt to this endpoint failed; null after a success. */
  @Column('timestamptz', { name: 'failing_since', nullable: true }) failingSince: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  @Column('timestamptz', { name: 'deleted_at', nullable: true }) deletedAt: Date | null;
}

@Entity('events')
export class EventEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'owner_id' }) ownerId: string;
  @Column('text') type: string;
  @Column('text', { name: 'resource_id' }) resourceId: string;
  /** `<resource id>:<version>:<type>`: the same change can never produce a second event. */
  @Column('text', { name: 'dedupe_key' }) dedupeKey: string;
  @Column('jsonb') data: Record<string, unknown>;
  /** The resource's version after this change: a consumer drops an event older than one it has applied. */
  @Column('bigint', { nullable: true, transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) } })
  sequence: number | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

@Entity('webhook_deliveries')
export class WebhookDeliveryEntity {
  @PrimaryColumn('text', { name: 'event_id' }) eventId: string;
  @PrimaryColumn('text', { name: 'endpoint_id' }) endpointId: string;
  @Column('text') status: DeliveryStatus;
  /** Bumped by a redelivery, so its queue job gets a new id while an old one may still be in Redis. */
  @Column('integer') generation: number;
  @Column('integer') attempts: number;
  @Column('timestamptz', { name: 'next_attempt_at' }) nextAttemptAt: Date;
  @Column('timestamptz', { name: 'enqueued_at', nullable: true }) enqueuedAt: Date | null;
  /** While a worker sends this delivery; no other worker sends it before this time. */
  @Column('timestamptz', { name: 'claimed_until', nullable: true }) claimedUntil: Date | null;
  @Column('integer', { name: 'last_response_status', nullable: true }) lastResponseStatus: number | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

@Entity('webhook_attempts')
export class WebhookAttemptEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column('text', { name: 'event_id' }) eventId: string;
  @Column('text', { name: 'endpoint_id' }) endpointId: string;
  @Column('integer') attempt: number;
  @Column('text') status: 'succeeded' | 'failed';
  @Column('integer', { name: 'response_status', nullable: true }) responseStatus: number | null;
  @Column('integer', { name: 'duration_ms' }) durationMs: number;
  @Column('text', { nullable: true }) error: string | null;
  /** Why no 2xx came: http_status, timeout, connection, dns, redirect, refused (private address), invalid_url. */
  @Column('text', { name: 'error_kind', nullable: true }) errorKind: string | null;
  /** The first 1 KB of the receiver's answer. */
  @Column('text', { name: 'response_body', nullable: true }) responseBody: string | null;
  @Column('timestamptz') at: Date;
}

@Entity('inbound_webhooks')
export class InboundWebhookEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column('text') provider: string;
  @Column('text', { name: 'dedupe_key' }) dedupeKey: string;
  @Column('text', { name: 'payment_id', nullable: true }) paymentId: string | null;
  @Column('text') outcome: string;
  @Column('timestamptz', { name: 'received_at' }) receivedAt: Date;
}
