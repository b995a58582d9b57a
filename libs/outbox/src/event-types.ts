// The event types are part of the wire contract, so they live with the client's types (one source).
import { EVENT_TYPES, EventType } from '@app/contract';

export { EVENT_TYPES };
export type { EventType };

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/** The body POSTed to a subscribed endpoint. */
export interface WebhookEventBody {
  id: string;
  type: EventType;
  timestamp: string;
  /**
   * The resource's version after this change (per resource, increasing): a consumer that has applied a higher one
   * drops this event as stale. Deliveries may arrive out of order; retries keep their `webhook-id`.
   */
  sequence?: number;
  data: Record<string, unknown>;
}
