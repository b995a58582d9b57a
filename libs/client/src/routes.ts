import {
  CREATE_API_KEY_INPUT_FIELDS,
  CREATE_PAYMENT_INPUT_FIELDS,
  CREATE_PAYOUT_INPUT_FIELDS,
  CREATE_WEBHOOK_ENDPOINT_INPUT_FIELDS,
  LIST_BENEFICIARIES_PARAMS,
  LIST_DEAD_LETTERS_PARAMS,
  LIST_DELIVERIES_PARAMS,
  LIST_EVENT_ATTEMPTS_PARAMS,
  LIST_EVENTS_PARAMS,
  LIST_PAYMENTS_PARAMS,
  PAGE_PARAMS,
  RECOVER_INPUT_FIELDS,
  REDELIVER_INPUT_FIELDS,
  UPDATE_PAYMENT_INPUT_FIELDS,
  UPDATE_WEBHOOK_ENDPOINT_INPUT_FIELDS,
} from './types';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface Route {
  method: HttpMethod;
  /** OpenAPI path template: `{id}` is a path parameter. */
  path: string;
}

/**
 * Every /v1 route the client calls, by operation. The client builds its requests from this table only, and the
 * contract test checks it against the gateway's OpenAPI document in both directions.
 */
export const ROUTES = {
  createPayment: { method: 'POST', path: '/v1/payments' },
  listPayments: { method: 'GET', path: '/v1/payments' },
  getPayment: { method: 'GET', path: '/v1/payments/{id}' },
  updatePayment: { method: 'PATCH', path: '/v1/payments/{id}' },
  cancelPayment: { method: 'DELETE', path: '/v1/payments/{id}' },
  archivePayment: { method: 'POST', path: '/v1/payments/{id}/archive' },
  unarchivePayment: { method: 'POST', path: '/v1/payments/{id}/unarchive' },
  listPaymentTransactions: { method: 'GET', path: '/v1/payments/{id}/transactions' },
  refreshPayment: { method: 'POST', path: '/v1/payments/{id}/refresh' },

  createPayout: { method: 'POST', path: '/v1/payouts' },
  listPayouts: { method: 'GET', path: '/v1/payouts' },
  getPayout: { method: 'GET', path: '/v1/payouts/{id}' },
  refreshPayout: { method: 'POST', path: '/v1/payouts/{id}/refresh' },

  listBeneficiaries: { method: 'GET', path: '/v1/beneficiaries' },

  listProviders: { method: 'GET', path: '/v1/providers' },

  createApiKey: { method: 'POST', path: '/v1/api-keys' },
  listApiKeys: { method: 'GET', path: '/v1/api-keys' },
  revokeApiKey: { method: 'DELETE', path: '/v1/api-keys/{id}' },

  createWebhookEndpoint: { method: 'POST', path: '/v1/webhook-endpoints' },
  listWebhookEndpoints: { method: 'GET', path: '/v1/webhook-endpoints' },
  getWebhookEndpoint: { method: 'GET', path: '/v1/webhook-endpoints/{id}' },
  updateWebhookEndpoint: { method: 'PATCH', path: '/v1/webhook-endpoints/{id}' },
  deleteWebhookEndpoint: { method: 'DELETE', path: '/v1/webhook-endpoints/{id}' },
  listWebhookDeliveries: { method: 'GET', path: '/v1/webhook-endpoints/{id}/deliveries' },
  rotateWebhookSecret: { method: 'POST', path: '/v1/webhook-endpoints/{id}/rotate-secret' },
  recoverWebhookEndpoint: { method: 'POST', path: '/v1/webhook-endpoints/{id}/recover' },
  listDeadLetters: { method: 'GET', path: '/v1/webhook-endpoints/{id}/dead-letters' },

  listEvents: { method: 'GET', path: '/v1/events' },
  getEvent: { method: 'GET', path: '/v1/events/{id}' },
  redeliverEvent: { method: 'POST', path: '/v1/events/{id}/redeliver' },
  listEventAttempts: { method: 'GET', path: '/v1/events/{id}/attempts' },
} as const satisfies Record<string, Route>;

export type Operation = keyof typeof ROUTES;

type Fields = Readonly<Record<string, true | 'optional'>>;

/** The JSON body each operation sends (its input type's fields); operations not listed send none. */
export const REQUEST_BODY_FIELDS: Partial<Record<Operation, Fields>> = {
  createPayment: CREATE_PAYMENT_INPUT_FIELDS,
  updatePayment: UPDATE_PAYMENT_INPUT_FIELDS,
  createPayout: CREATE_PAYOUT_INPUT_FIELDS,
  createApiKey: CREATE_API_KEY_INPUT_FIELDS,
  createWebhookEndpoint: CREATE_WEBHOOK_ENDPOINT_INPUT_FIELDS,
  updateWebhookEndpoint: UPDATE_WEBHOOK_ENDPOINT_INPUT_FIELDS,
  redeliverEvent: REDELIVER_INPUT_FIELDS,
  recoverWebhookEndpoint: RECOVER_INPUT_FIELDS,
};

/** The query parameters each operation may send; operations not listed send none. */
export const QUERY_PARAM_FIELDS: Partial<Record<Operation, Fields>> = {
  listPayments: LIST_PAYMENTS_PARAMS,
  listPayouts: PAGE_PARAMS,
  listBeneficiaries: LIST_BENEFICIARIES_PARAMS,
  listWebhookDeliveries: LIST_DELIVERIES_PARAMS,
  listEvents: LIST_EVENTS_PARAMS,
  listDeadLetters: LIST_DEAD_LETTERS_PARAMS,
  listEventAttempts: LIST_EVENT_ATTEMPTS_PARAMS,
};

/** `/v1/payments/{id}` with `{id: 'pay_1'}` → `/v1/payments/pay_1` (each value URI-encoded). */
export function expandPath(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`);
    return encodeURIComponent(value);
  });
}
