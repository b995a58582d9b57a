import { Client } from 'pg';
import { PaymentsClient, PaymentsClientOptions, Scope } from '@app/client';
import { testDatabaseUrl, testQueuePrefix } from './env';
import { startSandboxes, RunningSandboxes, SandboxOptions } from '../../apps/sandbox/src/sandbox';
import { recordingClient } from './client';
import { call, Answer } from './http';
import { AppProcess, freePort, startApp } from './processes';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const SANDBOX_TOKENS = { flexiqash: 'sandbox-flexiqash-token', flashpay: 'sandbox-flashpay-token' };
const DATABASE_URL = testDatabaseUrl();

export interface Stack {
  url: string;
  env: Record<string, string>;
  sandboxes: RunningSandboxes;
  gateway: AppProcess;
  /**
   * Calls the gateway over plain HTTP; `key` defaults to the admin key. For what the client cannot do: routes
   * outside /v1, bodies it cannot send, a missing key.
   */
  api<T = any>(method: string, path: string, body?: unknown, key?: string, headers?: Record<string, string>): Promise<Answer<T>>;
  /** The typed client (@paygw/client) on this gateway with the admin key. */
  client: PaymentsClient;
  /**
   * The typed client on this gateway with another key (and optionally other client options, `baseUrl` for another
   * gateway process). Its answers are recorded: see `lastResponse` in ./client.
   */
  clientFor(key: string, options?: Partial<PaymentsClientOptions>): PaymentsClient;
  /** A service key with the given scopes (all but admin by default). */
  newKey(scopes?: Scope[]): Promise<string>;
  /** Another gateway process on the same database, Redis and sandboxes (stopped by close()). */
  startGateway(env?: Record<string, string>): Promise<{ url: string; process: AppProcess }>;
  close(): Promise<void>;
}

/**
 * The real thing: the built gateway as its own process on real Postgres and Redis, calling the real sandboxes over
 * HTTP. The sandboxes run inside the test process so tests can start, stop and fault them.
 */
export async function startStack(env: Record<string, string> = {}, sandboxOptions: Partial<SandboxOptions> = {}): Promise<Stack> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const sandboxes = await startSandboxes({
    flexiqashPort: 0,
    flashpayPort: 0,
    flexiqashWebhookUrl: `${url}/webhooks/flexiqash`,
    webhookRetryDelayMs: 50,
    ...sandboxOptions,
  });
  const fullEnv: Record<string, string> = {
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL,
    REDIS_URL: process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: testQueuePrefix('stack'),
    ADMIN_API_KEY: ADMIN_KEY,
    PUBLIC_BASE_URL: url,
    FLEXIQASH_BASE_URL: sandboxes.flexiqashUrl,
    FLASHPAY_BASE_URL: sandboxes.flashpayUrl,
    PROVIDER_TIMEOUT_MS: '2000',
    ...env,
  };
  let gateway: AppProcess;
  try {
    gateway = await startApp('gateway', fullEnv, async () => (await fetch(`${url}/health/live`)).ok);
  } catch (error) {
    await sandboxes.close();
    throw error;
  }
  const extra: AppProcess[] = [];
  // What this stack's tests leave in the shared test database and would change what later files see: enabled
  // webhook endpoints (a later file's worker would deliver to them) and a stored routing (it overrides the
  // environment's). close() takes both away.
  const endpointIds = new Set<string>();
  let routingStored = false;
  const notice = async (method: string, target: string, status: number, body: () => Promise<unknown>) => {
    const path = new URL(target, url).pathname;
    if (method === 'POST' && path === '/v1/webhook-endpoints' && status === 201) {
      const id = ((await body()) as { id?: string } | undefined)?.id;
      if (id) endpointIds.add(id);
    }
    if (method === 'PUT' && path === '/admin/routing' && status === 200) routingStored = true;
  };
  const api = async <T = any>(method: string, path: string, body?: unknown, key: string = ADMIN_KEY, headers?: Record<string, string>) => {
    const answer = await call<T>(url, method, path, { key, body, headers });
    await notice(method, path, answer.status, async () => answer.body);
    return answer;
  };
  // Short backoff keeps retrying tests quick; everything else is the client's defaults.
  const clientFor = (key: string, options: Partial<PaymentsClientOptions> = {}) => {
    const inner = options.fetch ?? globalThis.fetch;
    const noticing = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
      const response = await inner(input, init);
      await notice(init?.method ?? 'GET', String(input), response.status, () => response.clone().json().catch(() => undefined));
      return response;
    };
    return recordingClient({ baseUrl: url, apiKey: key, retryBaseDelayMs: 50, ...options, fetch: noticing as typeof fetch });
  };
  const client = clientFor(ADMIN_KEY);
  return {
    url,
    env: fullEnv,
    sandboxes,
    gateway,
    api,
    client,
    clientFor,
    async newKey(scopes: Scope[] = ['payments:read', 'payments:write', 'payouts:read', 'payouts:write', 'webhooks:manage']) {
      return (await client.apiKeys.create({ name: `test ${scopes.join(' ')}`, scopes })).key;
    },
    async startGateway(more = {}) {
      const otherPort = await freePort();
      const otherUrl = `http://127.0.0.1:${otherPort}`;
      const process = await startApp('gateway', { ...fullEnv, PORT: String(otherPort), ...more }, async () => (await fetch(`${otherUrl}/health/live`)).ok);
      extra.push(process);
      return { url: otherUrl, process };
    },
    async close() {
      await Promise.all([gateway, ...extra].map((p) => p.stop()));
      await sandboxes.close();
      if (endpointIds.size === 0 && !routingStored) return;
      const db = new Client({ connectionString: fullEnv.DATABASE_URL });
      await db.connect();
      try {
        if (endpointIds.size > 0) {
          await db.query(`UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'test finished' WHERE id = ANY($1) AND enabled`, [[...endpointIds]]);
        }
        // Until the next PUT, the routing comes from the environment again.
        if (routingStored) await db.query('DELETE FROM routing_settings');
      } finally {
        await db.end();
      }
    },
  };
}
