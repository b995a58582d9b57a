/**
 * What each operation does beyond its one-line summary: what it reads or changes, and what a caller must know.
 * Kept beside the document builder so every route has one; the OpenAPI lint test fails on a route without.
 */
export const OPERATION_DESCRIPTIONS: Record<string, string> = {
  'POST /v1/payments':
    'Stores the payment, then creates it at the provider named in the body, else the currency route, else the default. ' +
    'If the provider’s answer is lost (timeout, 5xx) the payment stays pending and flagged; the error names it in details.paymentId.',
  'GET /v1/payments': 'Pages with limit (1-100) and nextCursor; filters by status, provider, reference and archived.',
  'GET /v1/payments/{id}': 'The gateway’s record; POST …/refresh re-reads it from the provider.',
  'PATCH /v1/payments/{id}':
    'metadata is the gateway’s own and changes on any provider; description and amount change at the provider and need its payments.update capability (422 otherwise, whatever the status).',
  'DELETE /v1/payments/{id}':
    'Cancels at the provider (payments.cancel capability) and keeps the record as cancelled. A payment already paid answers 409.',
  'POST /v1/payments/{id}/archive': 'Archives at the provider (payments.archive capability); archived payments are listed with archived=true.',
  'POST /v1/payments/{id}/unarchive': 'Undoes an archive at the provider (payments.archive capability).',
  'GET /v1/payments/{id}/transactions': 'Each payer attempt the provider recorded, with its own status and times (ISO 8601, UTC).',
  'POST /v1/payments/{id}/refresh': 'Reads the payment from its provider now and applies any change, with its events, as a webhook would.',
  'POST /v1/payouts': 'Sends money from the provider account (for providers with the payouts.create capability). A reference is unique per API key.',
  'GET /v1/payouts': 'Pages with limit (1-100) and nextCursor, newest first.',
  'GET /v1/payouts/{id}': 'The gateway’s record; POST …/refresh re-reads it from the provider.',
  'POST /v1/payouts/{id}/refresh': 'Reads the payout from its provider now and applies any change.',
  'GET /v1/beneficiaries': 'Read from the provider each time (for providers with the beneficiaries.list capability).',
  'GET /v1/providers': 'A {data} list: each provider’s currencies, capabilities, whether it is configured and whether it is the routing default.',
  'POST /v1/api-keys': 'The plaintext key is in this answer only; the gateway stores its SHA-256.',
  'GET /v1/api-keys': 'Names, scopes and creation times; never the keys themselves.',
  'DELETE /v1/api-keys/{id}': 'The key is refused on every instance from then on.',
  'GET /admin/routing': 'source is environment until the first PUT, then stored.',
  'PUT /admin/routing': 'Validated against the providers’ capabilities, audited, and in effect on every instance within a second.',
  'GET /admin/providers': 'For operators: circuit state (closed, half_open, open) and the recent calls’ error rate and latency.',
  'GET /health/live': 'For a liveness probe: answers while the event loop runs, checks nothing else.',
  'GET /health/ready': 'For a readiness probe and load balancers: 503 while Postgres or Redis does not answer.',
  'GET /admin/payouts': 'For operators: payouts whose create outcome is unknown (state=unknown), oldest first, to resolve by hand.',
  'POST /admin/payouts/{id}/resolve': 'Settles a payout whose outcome was unknown, as paid (with the provider payout id) or failed; audited.',
  'POST /v1/webhook-endpoints/{id}/rotate-secret':
    'Answers a new signing secret once; during the grace period every delivery is signed with both the new and the old secret.',
  'POST /v1/webhook-endpoints/{id}/recover': 'Sends again every failed delivery to this endpoint of events since the given time.',
  'GET /v1/webhook-endpoints/{id}/dead-letters': 'Deliveries to this endpoint that failed for good, newest first.',
  'GET /v1/events/{id}/attempts': 'Every delivery attempt of this event: time, duration, status or error kind, and the first 1 KB of the answer.',
  'POST /v1/webhook-endpoints': 'Events are POSTed to the URL signed the Standard Webhooks way with the whsec_ secret shown in this answer only.',
  'GET /v1/webhook-endpoints': 'Endpoints of this API key, without their secrets.',
  'GET /v1/webhook-endpoints/{id}': 'Without its secret.',
  'PATCH /v1/webhook-endpoints/{id}': 'A disabled endpoint receives nothing until enabled again; its pending deliveries wait.',
  'DELETE /v1/webhook-endpoints/{id}': 'Stops every delivery to it, pending ones included.',
  'GET /v1/webhook-endpoints/{id}/deliveries': 'Each attempt with its HTTP status, duration and time; use it to see why an endpoint fails.',
  'GET /v1/events': 'Events of this API key’s payments and payouts; filter by type, page with limit and nextCursor.',
  'GET /v1/events/{id}': 'The event exactly as it is delivered.',
  'POST /v1/events/{id}/redeliver': 'Takes no body, or {endpointId} to send to one endpoint only. Delivery is asynchronous: the answer lists what was queued.',
  'GET /metrics': 'Prometheus text format, for a scraper holding the admin key.',
  'GET /admin/routes': 'For operators checking a deployment: method and path of every route, including those outside this document.',
};

/** What each tag groups, for the document's global tag list. */
export const TAG_DESCRIPTIONS: Record<string, string> = {
  payments: 'Payments on every registered provider behind one model; amounts in integer minor units',
  payouts: 'Payouts and the beneficiaries they go to (providers that pay out)',
  providers: 'Which providers exist and what each can do',
  'api keys': 'Service keys and their scopes (admin)',
  webhooks: 'Outbound events: endpoints, events, delivery attempts, redelivery',
  'inbound webhooks': 'Notifications the providers send to the gateway',
  operations: 'Health, metrics, routing and provider state for operators',
};
