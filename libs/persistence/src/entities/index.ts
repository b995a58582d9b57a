import { ApiKeyEntity } from './api-key.entity';
import { PaymentEntity } from './payment.entity';
import { PaymentTransactionEntity } from './payment-transaction.entity';
import { PayoutEntity } from './payout.entity';
import { RoutingAuditEntity, RoutingSettingsEntity } from './routing.entity';
import {
  EventEntity,
  InboundWebhookEntity,
  WebhookAttemptEntity,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
} from './webhook.entities';

export { ApiKeyEntity, PaymentEntity, PaymentTransactionEntity, PayoutEntity, RoutingAuditEntity, RoutingSettingsEntity };
export { EventEntity, InboundWebhookEntity, WebhookAttemptEntity, WebhookDeliveryEntity, WebhookEndpointEntity };
export type { DeliveryStatus } from './webhook.entities';

export const ENTITIES = [
  ApiKeyEntity,
  PaymentEntity,
  PaymentTransactionEntity,
  PayoutEntity,
  RoutingSettingsEntity,
  RoutingAuditEntity,
  WebhookEndpointEntity,
  EventEntity,
  WebhookDeliveryEntity,
  WebhookAttemptEntity,
  InboundWebhookEntity,
];
