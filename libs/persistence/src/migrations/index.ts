import { InitialSchema1732240000000 } from './1732240000000-initial-schema';
import { WebhooksOutbox1732250000000 } from './1732250000000-webhooks-outbox';
import { IdempotencyKeys1732260000000 } from './1732260000000-idempotency-keys';
import { DeliveryClaims1732270000000 } from './1732270000000-delivery-claims';
import { LifecycleLeases1733000000000 } from './1733000000000-lifecycle-leases';
import { ScrubIdempotentSecrets1733100000000 } from './1733100000000-scrub-idempotent-secrets';
import { OutboundWebhooksV21733200000000 } from './1733200000000-outbound-webhooks-v2';

/** Every migration, in order. Listed explicitly because the apps are bundled: there is no folder to glob at run time. */
export const MIGRATIONS = [
  InitialSchema1732240000000,
  WebhooksOutbox1732250000000,
  IdempotencyKeys1732260000000,
  DeliveryClaims1732270000000,
  LifecycleLeases1733000000000,
  ScrubIdempotentSecrets1733100000000,
  OutboundWebhooksV21733200000000,
];
export { endpointSecretContext } from './1733200000000-outbound-webhooks-v2';
