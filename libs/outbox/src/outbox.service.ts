import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { newId } from '@app/common';
import { DeliveryRelay } from './delivery-relay';
import { EventType } from './event-types';
import { DeliveryJobData } from './queue';

export interface EmitInput {
  type: EventType;
  ownerId: string;
  resourceId: string;
  /** The resource's version after the change: (resource, version, type) identifies the change. */
  version: number;
  data: Record<string, unknown>;
}

export interface OutboxTx {
  manager: EntityManager;
  /** Records the event and one delivery per subscribed endpoint, inside the caller's transaction. */
  emit(event: EmitInput): Promise<void>;
}

/**
 * The transactional outbox. A state change and its events commit together or not at all; right after the
 * commit the new deliveries are handed to the queue (and, should that fail, to the worker's sweep).
 */
@Injectable()
export class OutboxService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly relay: DeliveryRelay,
  ) {}

  async transact<T>(work: (tx: OutboxTx) => Promise<T>): Promise<T> {
    const deliveries: DeliveryJobData[] = [];
    const result = await this.dataSource.transaction(async (manager) =>
      work({ manager, emit: async (event) => void deliveries.push(...(await this.record(manager, event))) }),
    );
    await this.relay.enqueue(deliveries, { markEnqueued: false });
    return result;
  }

  /**
   * One statement: the event (skipped if this change already has one) and a delivery per subscribed endpoint.
   * Deliveries are marked enqueued now, optimistically: the relay adds their jobs right after the commit, and if
   * that fails the sweep re-adds them once OUTBOX_SWEEP_GRACE_MS has passed.
   */
  private async record(manager: EntityManager, event: EmitInput): Promise<DeliveryJobData[]> {
    const rows: Array<{ event_id: string; endpoint_id: string | null }> = await manager.query(
      `WITH event AS (
         INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, data, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, now())
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING id
       ), deliveries AS (
         INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, enqueued_at, created_at, updated_at)
         SELECT event.id, e.id, 'pending', 0, 0, now(), now(), now(), now()
           FROM event, webhook_endpoints e
          WHERE e.enabled AND e.deleted_at IS NULL
            -- An endpoint receives the events of its owner's resources; the admin's endpoints receive every event.
            AND (e.owner_id = $2 OR e.owner_id = 'admin')
            AND (e.events @> ARRAY[$3]::text[] OR e.events @> ARRAY['*']::text[])
         RETURNING event_id, endpoint_id
       )
       SELECT event_id, endpoint_id FROM deliveries`,
      [newId('evt'), event.ownerId, event.type, event.resourceId, `${event.resourceId}:${event.version}:${event.type}`, event.data],
    );
    return rows.map((row) => ({ eventId: row.event_id, endpointId: row.endpoint_id!, generation: 0 }));
  }
}
