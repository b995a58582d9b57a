import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { APP_CONFIG, AppConfig, boundedGetOrMake, openSecret, SealedSecret, sealSecret, SecretsKeyring, SecretUnavailableError } from '@app/common';
import { endpointSecretContext } from '../migrations/1733200000000-outbound-webhooks-v2';
import { EventEntity, InboundWebhookEntity, WebhookAttemptEntity, WebhookDeliveryEntity, WebhookEndpointEntity } from '../entities/webhook.entities';
import { decodeCursor, encodeCursor, Page } from './page';

export interface DeliveryRef {
  eventId: string;
  endpointId: string;
  generation: number;
}

/** An endpoint's stored secrets as its row holds them (snake_case, as raw queries return them). */
export interface StoredEndpointSecrets {
  id: string;
  secret: string;
  secret_key_id: string | null;
  previous_secret: string | null;
  previous_secret_key_id: string | null;
  previous_secret_expires_at: Date | null;
}

/**
 * Secrets already opened, by row, key id and sealed value (a rotation or re-seal changes the key, so an entry never
 * goes stale): the worker opens an endpoint's secret once instead of for every delivery. Memory only, bounded.
 */
export type OpenedSecrets = Map<string, string>;
const OPENED_SECRETS_KEPT = 1024;

/**
 * The secrets a delivery is signed with, in clear: the current one, then the previous one while its grace period
 * lasts. A row without a key id holds its secret in clear (written by a version before secrets were sealed,
 * during a rolling upgrade); it is used as it is.
 */
export function openEndpointSecrets(keyring: SecretsKeyring, row: StoredEndpointSecrets, now = new Date(), opened?: OpenedSecrets): string[] {
  const context = endpointSecretContext(row.id);
  const open = (sealed: string, keyId: string | null) => {
    if (keyId === null) return sealed;
    if (!opened) return openSecret(keyring, { keyId, sealed }, context);
    return boundedGetOrMake(opened, `${context}\n${keyId}\n${sealed}`, OPENED_SECRETS_KEPT, () => openSecret(keyring, { keyId, sealed }, context));
  };
  const secrets = [open(row.secret, row.secret_key_id)];
  if (row.previous_secret !== null && row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now) {
    secrets.push(open(row.previous_secret, row.previous_secret_key_id));
  }
  return secrets;
}

export interface DeadLetter {
  eventId: string;
  eventType: string;
  attempts: number;
  lastResponseStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  failedAt: Date;
}

@Injectable()
export class WebhookRepository {
  private readonly keyring: SecretsKeyring;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.keyring = config.secrets;
  }

  private get endpoints() {
    return this.dataSource.getRepository(WebhookEndpointEntity);
  }

  /** Inserts the endpoint with `plaintextSecret` sealed: the clear secret never reaches the table. */
  async insertEndpoint(endpoint: Omit<WebhookEndpointEntity, 'secret' | 'secretKeyId'>, plaintextSecret: string): Promise<void> {
    const sealed = sealSecret(this.keyring, plaintextSecret, endpointSecretContext(endpoint.id));
    await this.endpoints.insert({ ...endpoint, secret: sealed.sealed, secretKeyId: sealed.keyId });
  }

  /**
   * Replaces the secret; the one it replaces stays valid (its signature is sent too) for `graceMs`. A rotation
   * within the grace period of the last one drops the oldest: two secrets at most.
   */
  async rotateSecret(id: string, plaintextSecret: string, graceMs: number): Promise<WebhookEndpointEntity | null> {
    const sealed = sealSecret(this.keyring, plaintextSecret, endpointSecretContext(id));
    const rows: Array<{ id: string }> = await this.dataSource.query(
      // Wrapped in a SELECT: TypeORM answers a bare UPDATE … RETURNING with [rows, count].
      `WITH rotated AS (
         UPDATE webhook_endpoints
            SET previous_secret = secret, previous_secret_key_id = secret_key_id,
                previous_secret_expires_at = now() + $4::float8 * interval '1 millisecond',
                secret = $2, secret_key_id = $3, updated_at = now()
          WHERE id = $1 AND deleted_at IS NULL
          RETURNING id
       )
       SELECT id FROM rotated`,
      [id, sealed.sealed, sealed.keyId, graceMs],
    );
    return rows.length ? this.endpoints.findOneBy({ id }) : null;
  }

  /** The endpoint's secrets in clear (current first), for signing. */
  openSecrets(row: WebhookEndpointEntity, now = new Date()): string[] {
    return openEndpointSecrets(
      this.keyring,
      {
        id: row.id,
        secret: row.secret,
        secret_key_id: row.secretKeyId,
        previous_secret: row.previousSecret,
        previous_secret_key_id: row.previousSecretKeyId,
        previous_secret_expires_at: row.previousSecretExpiresAt,
      },
      now,
    );
  }

  /**
   * Re-seals, in batches, every secret sealed under a key other than the current one (or still in clear), so an
   * old key can be removed from SECRETS_ENCRYPTION_OLD_KEYS. Idempotent, and safe with several workers at once:
   * each row is written only if its stored secrets are still the ones read (a rotation or another worker's
   * re-seal in between wins, and that row is not counted here). A row that cannot be opened (its key is no longer
   * in the keyring) is left as it is and reported in `unopenable`; it does not stop the others. Returns how many
   * endpoints this call re-sealed.
   */
  async resealSecrets(batchSize = 500): Promise<{ resealed: number; unopenable: string[] }> {
    let resealed = 0;
    const unopenable: string[] = [];
    let after = '';
    for (;;) {
      const rows: StoredEndpointSecrets[] = await this.dataSource.query(
        `SELECT id, secret, secret_key_id, previous_secret, previous_secret_key_id, previous_secret_expires_at
           FROM webhook_endpoints
          WHERE id > $3
            AND (secret_key_id IS DISTINCT FROM $1 OR (previous_secret IS NOT NULL AND previous_secret_key_id IS DISTINCT FROM $1))
          ORDER BY id LIMIT $2`,
        [this.keyring.currentId, batchSize, after],
      );
      if (rows.length === 0) return { resealed, unopenable };
      after = rows[rows.length - 1].id;
      for (const row of rows) {
        const context = endpointSecretContext(row.id);
        const open = (sealed: string, keyId: string | null) => (keyId === null ? sealed : openSecret(this.keyring, { keyId, sealed }, context));
        let current: SealedSecret;
        let previous: SealedSecret | null;
        try {
          current = sealSecret(this.keyring, open(row.secret, row.secret_key_id), context);
          previous = row.previous_secret === null ? null : sealSecret(this.keyring, open(row.previous_secret, row.previous_secret_key_id), context);
        } catch (error) {
          if (!(error instanceof SecretUnavailableError)) throw error;
          unopenable.push(row.id);
          continue;
        }
        // Only if unchanged since read: a rotation or a concurrent re-seal in between is not overwritten.
        const updated: Array<{ id: string }> = await this.dataSource.query(
          `WITH resealed AS (
             UPDATE webhook_endpoints SET secret = $2, secret_key_id = $3, previous_secret = $4, previous_secret_key_id = $5
              WHERE id = $1 AND secret = $6 AND previous_secret IS NOT DISTINCT FROM $7
              RETURNING id
           )
           SELECT id FROM resealed`,
          [row.id, current.sealed, current.keyId, previous?.sealed ?? null, previous?.keyId ?? null, row.secret, row.previous_secret],
        );
        resealed += updated.length;
      }
    }
  }

  /** Enabled again: failures before now no longer count toward disabling it. */
  async enableEndpoint(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_endpoints SET enabled = true, disabled_reason = NULL, disabled_at = NULL, failing_since = NULL, updated_at = now()
        WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
  }

  /** Deliveries to this endpoint that failed for good (dead letters), newest first. */
  async deadLetters(endpointId: string, limit: number, before?: Date): Promise<DeadLetter[]> {
    const rows: Array<Record<string, any>> = await this.dataSource.query(
      `SELECT d.event_id, ev.type, d.attempts, d.last_response_status, d.last_error, d.created_at, d.updated_at
         FROM webhook_deliveries d JOIN events ev ON ev.id = d.event_id
        WHERE d.endpoint_id = $1 AND d.status = 'failed' AND ($3::timestamptz IS NULL OR d.created_at < $3)
        ORDER BY d.created_at DESC, d.event_id DESC
        LIMIT $2`,
      [endpointId, limit, before ?? null],
    );
    return rows.map((row) => ({
      eventId: row.event_id,
      eventType: row.type,
      attempts: row.attempts,
      lastResponseStatus: row.last_response_status,
      lastError: row.last_error,
      createdAt: row.created_at,
      failedAt: row.updated_at,
    }));
  }

  /**
   * Every delivery to this endpoint that failed for good and whose event was created at or after `since` starts
   * over (attempt 1, new generation), in batches; returns them for the queue.
   */
  async recoverFailed(endpointId: string, since: Date, batchSize = 1000): Promise<DeliveryRef[]> {
    const all: DeliveryRef[] = [];
    for (;;) {
      const rows: Array<{ event_id: string; generation: number }> = await this.dataSource.query(
        `WITH recovered AS (
           UPDATE webhook_deliveries d
              SET status = 'pending', generation = d.generation + 1, attempts = 0, next_attempt_at = now(),
                  enqueued_at = NULL, claimed_until = NULL, last_error = NULL, updated_at = now()
            WHERE d.status = 'failed'
              AND (d.event_id, d.endpoint_id) IN (
                    SELECT event_id, endpoint_id FROM webhook_deliveries
                     WHERE endpoint_id = $1 AND status = 'failed' AND created_at >= $2
                     LIMIT $3)
            RETURNING d.event_id, d.generation
         )
         SELECT event_id, generation FROM recovered`,
        [endpointId, since, batchSize],
      );
      all.push(...rows.map((row) => ({ eventId: row.event_id, endpointId, generation: row.generation })));
      if (rows.length < batchSize) return all;
    }
  }

  /** Attempts at delivering an event, oldest first; only to the endpoints given when `endpointIds` is set. */
  async attemptsOfEvent(eventId: string, endpointIds: string[] | null, limit: number): Promise<WebhookAttemptEntity[]> {
    const query = this.dataSource.getRepository(WebhookAttemptEntity).createQueryBuilder('a').where('a.event_id = :eventId', { eventId });
    if (endpointIds !== null) query.andWhere('a.endpoint_id = ANY(:endpointIds)', { endpointIds });
    return query.orderBy('a.id', 'ASC').limit(limit).getMany();
  }

  /** Ids of the endpoints an owner can see (all for the admin): to filter another owner's attempts out. */
  async endpointIdsOf(ownerId: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(`SELECT id FROM webhook_endpoints WHERE owner_id = $1`, [ownerId]);
    return rows.map((row) => row.id);
  }

  /**
   * Writes the fields an API call may change; never the secrets (a rotation in between is not undone). The
   * endpoint's state (enabled, disabled reason and time, failing streak) is written only with `state: true`, for a
   * call that changes it: the worker updates those columns too, and a PATCH of the description must not put back
   * what it read before (re-enabling an endpoint the worker just disabled, or reviving a failing streak a success ended).
   */
  async saveEndpoint(endpoint: WebhookEndpointEntity, options: { state?: boolean } = {}): Promise<void> {
    await this.endpoints.update(
      { id: endpoint.id },
      {
        url: endpoint.url,
        events: endpoint.events,
        description: endpoint.description,
        ...(options.state
          ? { enabled: endpoint.enabled, disabledReason: endpoint.disabledReason, disabledAt: endpoint.disabledAt, failingSince: endpoint.failingSince }
          : {}),
        updatedAt: endpoint.updatedAt,
        deletedAt: endpoint.deletedAt,
      },
    );
  }

  async findEndpoint(id: string, ownerId: string | null): Promise<WebhookEndpointEntity | null> {
    return this.endpoints.findOneBy(ownerId === null ? { id, deletedAt: IsNull() } : { id, ownerId, deletedAt: IsNull() });
  }

  async listEndpoints(ownerId: string | null): Promise<WebhookEndpointEntity[]> {
    return this.endpoints.find({ where: ownerId === null ? { deletedAt: IsNull() } : { ownerId, deletedAt: IsNull() }, order: { id: 'DESC' } });
  }

  async findEvent(id: string, ownerId: string | null): Promise<EventEntity | null> {
    return this.dataSource.getRepository(EventEntity).findOneBy(ownerId === null ? { id } : { id, ownerId });
  }

  async listEvents(ownerId: string | null, type: string | undefined, limit: number, cursor?: string): Promise<Page<EventEntity>> {
    const query = this.dataSource.getRepository(EventEntity).createQueryBuilder('e');
    if (ownerId !== null) query.andWhere('e.owner_id = :owner', { owner: ownerId });
    if (type) query.andWhere('e.type = :type', { type });
    if (cursor) query.andWhere('e.id < :after', { after: decodeCursor(cursor, 'evt') });
    const rows = await query.orderBy('e.id', 'DESC').limit(limit + 1).getMany();
    const data = rows.slice(0, limit);
    return { data, nextCursor: rows.length > limit ? encodeCursor(data[data.length - 1].id) : null };
  }

  /** The attempts made for an endpoint, newest first, after its deliveries still waiting for their next attempt. */
  async deliveriesOf(endpointId: string, limit: number): Promise<{ pending: WebhookDeliveryEntity[]; attempts: WebhookAttemptEntity[] }> {
    const pending = await this.dataSource
      .getRepository(WebhookDeliveryEntity)
      .find({ where: { endpointId, status: 'pending' }, order: { createdAt: 'DESC' }, take: limit });
    const attempts = await this.dataSource
      .getRepository(WebhookAttemptEntity)
      .find({ where: { endpointId }, order: { id: 'DESC' }, take: limit });
    return { pending, attempts };
  }

  /**
   * Makes the event's deliveries to these endpoints pending again with a new generation (so their queue jobs get
   * new ids), creating the delivery rows that do not exist yet (an endpoint created after the event).
   */
  async resetDeliveries(eventId: string, endpointIds: string[]): Promise<DeliveryRef[]> {
    if (endpointIds.length === 0) return [];
    const rows: Array<{ endpoint_id: string; generation: number }> = await this.dataSource.query(
      `INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, created_at, updated_at)
       SELECT $1, unnest($2::text[]), 'pending', 0, 0, now(), now(), now()
       ON CONFLICT (event_id, endpoint_id) DO UPDATE
         SET status = 'pending', generation = webhook_deliveries.generation + 1, attempts = 0,
             next_attempt_at = now(), enqueued_at = NULL, last_error = NULL, updated_at = now()
       RETURNING endpoint_id, generation`,
      [eventId, endpointIds],
    );
    return rows.map((row) => ({ eventId, endpointId: row.endpoint_id, generation: row.generation }));
  }

  /** The endpoints an event of `ownerId` goes to, as the outbox fans it out (endpoint.disabled: the owner's only). */
  async subscribedEndpointIds(ownerId: string, type: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM webhook_endpoints
        WHERE enabled AND deleted_at IS NULL AND (owner_id = $1 OR (owner_id = 'admin' AND $2::text <> 'endpoint.disabled'))
          AND (events @> ARRAY[$2]::text[] OR events @> ARRAY['*']::text[])`,
      [ownerId, type],
    );
    return rows.map((row) => row.id);
  }

  async wasInboundSeen(provider: string, dedupeKey: string): Promise<boolean> {
    return (await this.dataSource.getRepository(InboundWebhookEntity).countBy({ provider, dedupeKey })) > 0;
  }

  async recordInbound(provider: string, dedupeKey: string, paymentId: string | null, outcome: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO inbound_webhooks (provider, dedupe_key, payment_id, outcome, received_at)
       VALUES ($1, $2, $3, $4, now()) ON CONFLICT (provider, dedupe_key) DO NOTHING`,
      [provider, dedupeKey, paymentId, outcome],
    );
  }
}
