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
    await this.relay.enqueue(deliveries);
    return result;
  }

  private async record(manager: EntityManager, event: EmitInput): Promise<DeliveryJobData[]> {
    const id = newId('evt');
    const inserted: Array<{ id: string }> = await manager.query(
      `INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, data, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id`,
      [id, event.ownerId, event.type, event.resourceId, `${event.resourceId}:${event.version}:${event.type}`, event.data],
    );
    if (inserted.length === 0) return [];
    // An endpoint receives the events of its owner's resources; the admin's endpoints receive every event.
    const rows: Array<{ endpoint_id: string }> = await manager.query(
      `INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, created_at, updated_at)
       SELECT $1, e.id, 'pending', 0, 0, now(), now(), now()
         FROM webhook_endpoints e
        WHERE e.enabled AND e.deleted_at IS NULL
          AND (e.owner_id = $2 OR e.owner_id = 'admin')
          AND (e.events @> ARRAY[$3]::text[] OR e.events @> ARRAY['*']::text[])
       RETURNING endpoint_id`,
      [id, event.ownerId, event.type],
    );
    return rows.map((row) => ({ eventId: id, endpointId: row.endpoint_id, generation: 0 }));
  }
}
