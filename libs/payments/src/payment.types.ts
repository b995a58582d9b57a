/**
 * The wire types live in the client package (libs/client/src/types.ts), the one source shared by the gateway and
 * its callers: the presenters are type-checked against exactly what @paygw/client promises. Relative import, since
 * libs/client must build on its own without the monorepo's path aliases.
 */
export { PROVIDER_NAMES, isProviderName, PAYMENT_STATUSES, PAYOUT_STATUSES } from '../../client/src/types';
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
} from '../../client/src/types';
