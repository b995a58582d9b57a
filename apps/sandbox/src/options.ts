/** Everything `startSandboxes` can be told; `main.ts` fills it from the environment. */
export interface SandboxOptions {
  host: string;
  /** 0 picks a free port (tests). */
  flexiqashPort: number;
  flashpayPort: number;
  flexiqashApiToken: string;
  flashpayApiToken: string;
  /** An empty URL or secret disables the webhook, as FlexiQash does for a payee without one. */
  flexiqashWebhookUrl: string;
  flexiqashWebhookSecret: string;
  /** FlexiQash amounts carry no currency: the account's, shown on the checkout page. */
  flexiqashCurrency: string;
  webhookRetryDelayMs: number;
  /** Flashpay's document only shows /api/v1; the gateway may be pointed elsewhere. */
  flashpayBasePath: string;
  payoutSettleMs: number;
  /** Latency injected from the start, as if `PUT /__sandbox/faults {latencyMs}` had been called. */
  latencyMs: number;
  logger: boolean;
}

export const DEFAULT_SANDBOX_OPTIONS: SandboxOptions = {
  host: '127.0.0.1',
  flexiqashPort: 4010,
  flashpayPort: 4020,
  flexiqashApiToken: 'sandbox-flexiqash-token',
  flashpayApiToken: 'sandbox-flashpay-token',
  flexiqashWebhookUrl: 'http://127.0.0.1:3000/webhooks/flexiqash',
  flexiqashWebhookSecret: 'sandbox-flexiqash-webhook-secret',
  flexiqashCurrency: 'USD',
  webhookRetryDelayMs: 1000,
  flashpayBasePath: '/api/v1',
  payoutSettleMs: 500,
  latencyMs: 0,
  logger: false,
};

/** A plain spread would let an explicit `undefined` erase a default. */
export function withDefaults<T extends object>(defaults: T, given: Partial<T> = {}): T {
  const result: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined) result[key] = value;
  }
  return result as T;
}
