/**
 * The wire types live at the bottom of the stack (libs/contract), the one source shared by the gateway and the
 * client package: the presenters are type-checked against exactly what @paygw/client promises.
 */
export { PROVIDER_NAMES, isProviderName, PAYMENT_STATUSES, PAYOUT_STATUSES } from '@app/contract';
export type {
  ProviderName,
  PaymentStatus,
  PayoutStatus,
  Payer,
  Payee,
  BankDestination,
  Payment,
  Payout,
  Transaction,
  Beneficiary,
} from '@app/contract';
