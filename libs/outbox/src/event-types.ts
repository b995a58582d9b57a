export const EVENT_TYPES = [
  'payment.created',
  'payment.updated',
  'payment.succeeded',
  'payment.failed',
  'payment.cancelled',
  'payment.expired',
  'payment.archived',
  'payment.unarchived',
  'payout.created',
  'payout.succeeded',
  'payout.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

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
