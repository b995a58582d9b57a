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
  data: Record<string, unknown>;
}
