import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { EventEntity, InboundWebhookEntity, WebhookAttemptEntity, WebhookDeliveryEntity, WebhookEndpointEntity } from '../entities/webhook.entities';
import { decodeCursor, encodeCursor, Page } from './page';

export interface DeliveryRef {
  eventId: string;
  endpointId: string;
  generation: number;
}

@Injectable()
export class WebhookRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get endpoints() {
    return this.dataSource.getRepository(WebhookEndpointEntity);
  }

  async insertEndpoint(endpoint: WebhookEndpointEntity): Promise<void> {
    await this.endpoints.insert(endpoint);
  }

  async saveEndpoint(endpoint: WebhookEndpointEntity): Promise<void> {
    await this.endpoints.save(endpoint);
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

  /** Endpoints of this owner (and the admin's) currently subscribed to an event type. */
  async subscribedEndpointIds(ownerId: string, type: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM webhook_endpoints
        WHERE enabled AND deleted_at IS NULL AND (owner_id = $1 OR owner_id = 'admin')
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
