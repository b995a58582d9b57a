import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { boundedGetOrMake, newId, preparedQuery } from '@app/common';
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

/** (resource, version, type) identifies a change: recording it twice writes one event. */
function dedupeKey(event: EmitInput): string {
  return `${event.resourceId}:${event.version}:${event.type}`;
}

/**
 * The CTEs `event` and `deliveries`: the events given as a JSON array in parameter `$n` (an event whose change
 * already has one is skipped; all are skipped unless `onlyIf` holds), and a delivery per subscribed endpoint for
 * each event written. An endpoint receives the events of its owner's resources; the admin's endpoints receive
 * every payment and payout event too, but `endpoint.disabled` goes only to the disabled endpoint's own owner (it
 * concerns that owner's endpoint, and an admin endpoint must not hear about every owner's). Deliveries are marked
 * enqueued as they are written, optimistically: the relay adds their jobs right after the commit, and if that
 * fails the sweep re-adds them once OUTBOX_SWEEP_GRACE_MS has passed.
 */
function eventsAndDeliveries(n: number, onlyIf = 'true'): string {
  return `event AS (
         INSERT INTO events (id, owner_id, type, resource_id, dedupe_key, sequence, data, created_at)
         SELECT e.id, e.owner_id, e.type, e.resource_id, e.dedupe_key, e.sequence, e.data, now()
           FROM jsonb_to_recordset($${n}::jsonb) AS e(id text, owner_id text, type text, resource_id text, dedupe_key text, sequence bigint, data jsonb)
          WHERE ${onlyIf}
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING id, owner_id, type
       ), deliveries AS (
         INSERT INTO webhook_deliveries (event_id, endpoint_id, status, generation, attempts, next_attempt_at, enqueued_at, created_at, updated_at)
         SELECT event.id, e.id, 'pending', 0, 0, now(), now(), now(), now()
           FROM event JOIN webhook_endpoints e
             ON e.enabled AND e.deleted_at IS NULL
            AND (e.owner_id = event.owner_id OR (e.owner_id = 'admin' AND event.type <> 'endpoint.disabled'))
            AND (e.events @> ARRAY[event.type]::text[] OR e.events @> ARRAY['*']::text[])
         RETURNING event_id, endpoint_id
       )`;
}

/** writeChange's statements, by change statement. */
const changeStatements = new Map<string, string>();

/** The parameter eventsAndDeliveries reads. (resource, version, type) identifies a change: its dedupe key. */
function eventRows(events: EmitInput[]): string {
  return JSON.stringify(
    events.map((event) => ({
      id: newId('evt'),
      owner_id: event.ownerId,
      type: event.type,
      resource_id: event.resourceId,
      dedupe_key: `${event.resourceId}:${event.version}:${event.type}`,
      // The per-resource sequence a consumer orders by: the resource's version after the change.
      sequence: event.version,
      data: event.data,
    })),
  );
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
   * A change and its events in one statement, without a transaction of its own: `change` is an UPDATE … RETURNING
   * that matches only while the row is as the caller read it (its version). The events and their deliveries are
   * written only if it matched; the deliveries are then handed to the queue. False when it did not match: the
   * caller takes the locked path instead.
   */
  async writeChange(change: { sql: string; params: unknown[] }, events: EmitInput[]): Promise<boolean> {
    // One text per change statement (whose placeholders fix its parameter count), made once: the same string
    // object each call, so neither the prepared statement's lookup nor pg hashes or compares a new 2 KB text.
    const text = boundedGetOrMake(
      changeStatements,
      change.sql,
      64,
      () => `WITH changed AS (${change.sql}),
       ${eventsAndDeliveries(change.params.length + 1, 'EXISTS (SELECT 1 FROM changed)')}
       SELECT (SELECT count(*)::int FROM changed) AS changed,
              COALESCE((SELECT json_agg(json_build_object('eventId', event_id, 'endpointId', endpoint_id)) FROM deliveries), '[]') AS deliveries`,
    );
    const rows = await preparedQuery<{ changed: number; deliveries: Array<{ eventId: string; endpointId: string }> }>(this.dataSource, text, [
      ...change.params,
      eventRows(events),
    ]);
    if (rows[0].changed === 0) return false;
    await this.relay.enqueue(
      rows[0].deliveries.map((d) => ({ ...d, generation: 0 })),
      { markEnqueued: false },
    );
    return true;
  }

  /** One statement: the event (skipped if this change already has one) and a delivery per subscribed endpoint. */
  private async record(manager: EntityManager, event: EmitInput): Promise<DeliveryJobData[]> {
    const rows: Array<{ event_id: string; endpoint_id: string }> = await manager.query(
      `WITH ${eventsAndDeliveries(1)} SELECT event_id, endpoint_id FROM deliveries`,
      [eventRows([event])],
    );
    return rows.map((row) => ({ eventId: row.event_id, endpointId: row.endpoint_id, generation: 0 }));
  }
}
