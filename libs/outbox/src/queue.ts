/** The queue every outbound webhook delivery goes through. */
export const DELIVERY_QUEUE = 'webhook-deliveries';
/** The one job name on that queue; the worker checks at boot that it has exactly one handler for it. */
export const DELIVER_JOB = 'deliver';
/** The custom backoff type the worker registers (WEBHOOK_RETRY_SCHEDULE with ±20 % jitter, Retry-After). */
export const WEBHOOK_BACKOFF = 'webhook-schedule';

export interface DeliveryJobData {
  eventId: string;
  endpointId: string;
  generation: number;
}

/**
 * One job per (event, endpoint, generation), with an id derived from them: adding it again while it is queued,
 * delayed or running is a no-op in BullMQ, so re-enqueueing (relay, sweep) never doubles a delivery in flight.
 */
export function deliveryJobId(ref: DeliveryJobData): string {
  return `${ref.eventId}__${ref.endpointId}__g${ref.generation}`;
}

/**
 * BullMQ key prefix. Braces make it a Redis Cluster hash tag, so every key of a queue lands in one slot, which
 * BullMQ's multi-key scripts need.
 */
export function queuePrefix(prefix: string): string {
  return `{${prefix}}`;
}
