import { ApiKeyEntity } from './api-key.entity';
import { PaymentEntity } from './payment.entity';
import { PaymentTransactionEntity } from './payment-transaction.entity';
import { PayoutEntity } from './payout.entity';
import { RoutingAuditEntity, RoutingSettingsEntity } from './routing.entity';

export { ApiKeyEntity, PaymentEntity, PaymentTransactionEntity, PayoutEntity, RoutingAuditEntity, RoutingSettingsEntity };

export const ENTITIES = [
  ApiKeyEntity,
  PaymentEntity,
  PaymentTransactionEntity,
  PayoutEntity,
  RoutingSettingsEntity,
  RoutingAuditEntity,
];
