/**
 * Every Flashpay path, in one place, below the configurable base path (FLASHPAY_BASE_PATH, default `/api/v1`).
 * Only `GET {base}/payment/{id}` is shown in Flashpay's document; the rest follow its menu ("New payment request
 * POST", "List payments GET", "Eligible beneficiaries list GET", "New payout request POST", "Payout details GET")
 * and are assumptions listed in README.md. If Flashpay's real paths differ, this is the only file to change.
 */
export interface FlashpayPaths {
  /** POST: create a payment. GET: list payments. */
  payments: string;
  /** GET: one payment. */
  payment(id: string): string;
  /** GET: eligible beneficiaries. */
  beneficiaries: string;
  /** POST: create a payout. */
  payouts: string;
  /** GET: one payout. */
  payout(id: string): string;
}

export function flashpayPaths(basePath: string): FlashpayPaths {
  const base = basePath.replace(/\/+$/, '');
  return {
    payments: `${base}/payment`,
    payment: (id) => `${base}/payment/${encodeURIComponent(id)}`,
    beneficiaries: `${base}/beneficiaries`,
    payouts: `${base}/payout`,
    payout: (id) => `${base}/payout/${encodeURIComponent(id)}`,
  };
}
