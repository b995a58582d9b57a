import 'reflect-metadata';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { Pool } from 'pg';
import { APP_CONFIG, AppConfig, loadConfig } from '@app/common';
import { PAYMENT_PROVIDERS } from '@app/payments';
import { buildProviders, PROVIDER_CONFIGS, PROVIDER_MODULE_LIST, PROVIDER_MODULES, ProviderModule } from '@app/providers';
import type { ProviderConfigSchema } from '@app/common';
import { startSandboxes, RunningSandboxes, SandboxOptions } from '../../apps/sandbox/src/sandbox';
import { createGatewayApp } from '../../apps/gateway/src/gateway.app';
import { testDatabaseUrl, testRedisUrl, testQueuePrefix } from './env';
import { ProviderGate } from './provider-gate';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

let instances = 0;

export interface InProcessGateway {
  app: NestFastifyApplication;
  config: AppConfig;
  sandboxes: RunningSandboxes;
  /** Holds provider calls mid-flight: `gate.hold('flexiqash', 'updatePayment')`. */
  gate: ProviderGate;
  /** A pool on the test database, for asserting rows. */
  db: Pool;
  /** One request through Fastify's inject (no socket). `key` defaults to the admin key; null sends none. */
  request<T = any>(method: string, url: string, options?: { key?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: T; headers: Record<string, unknown> }>;
  /** A service key with the given scopes. */
  newKey(scopes?: string[]): Promise<string>;
  /** Resolves a provider (service, repository…) from the application's module. */
  get<T>(token: unknown): T;
  close(): Promise<void>;
}

export interface InProcessOptions {
  env?: Record<string, string>;
  sandbox?: Partial<SandboxOptions>;
  /** Providers registered on top of FlexiQash and Flashpay (test support's own, e.g. the test provider). */
  extraProviders?: readonly ProviderModule[];
  /** Further overrides on the testing module (after the provider gate is installed). */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

/**
 * The gateway's real module graph, in this process: real Postgres (this run's database), real Redis (a queue prefix
 * of its own), the real provider adapters calling the in-process sandboxes over HTTP, and a gate on each adapter so
 * a test can hold a provider call mid-flight and let a competing operation in. No socket is opened for the gateway:
 * requests go through Fastify's inject.
 */
export async function startInProcessGateway(options: InProcessOptions = {}): Promise<InProcessGateway> {
  const sandboxes = await startSandboxes({ flexiqashPort: 0, flashpayPort: 0, webhookRetryDelayMs: 50, ...options.sandbox });
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: testDatabaseUrl(),
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: testQueuePrefix(`int-${++instances}`),
    ADMIN_API_KEY: ADMIN_KEY,
    PUBLIC_BASE_URL: 'http://127.0.0.1:3999',
    FLEXIQASH_BASE_URL: sandboxes.flexiqashUrl,
    FLASHPAY_BASE_URL: sandboxes.flashpayUrl,
    PROVIDER_TIMEOUT_MS: '2000',
    ...options.env,
  }, [...PROVIDER_CONFIGS, ...(options.extraProviders ?? []).map((module) => module.config as unknown as ProviderConfigSchema)]);
  const modules = [...PROVIDER_MODULES, ...(options.extraProviders ?? [])];
  const gate = new ProviderGate();
  const app = await createGatewayApp(config, {
    logLevels: false,
    logLevel: process.env.TEST_LOG_LEVEL || 'silent',
    factory: async (module, adapter, appOptions) => {
      let builder = Test.createTestingModule({ imports: [module] })
        .overrideProvider(PROVIDER_MODULE_LIST)
        .useValue(modules)
        .overrideProvider(PAYMENT_PROVIDERS)
        .useFactory({
          inject: [APP_CONFIG],
          factory: (cfg: AppConfig) => buildProviders(modules, cfg).map((provider) => gate.wrap(provider)),
        });
      if (options.override) builder = options.override(builder);
      const moduleRef = await builder.compile();
      return moduleRef.createNestApplication<NestFastifyApplication>(adapter, appOptions);
    },
  });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const db = new Pool({ connectionString: config.databaseUrl, max: 2 });

  // Endpoints this gateway created: disabled when it closes, so a later worker's sweep (sharing this run's
  // database) does not keep retrying deliveries to receivers that are gone.
  const endpoints: string[] = [];
  const request: InProcessGateway['request'] = async (method, url, { key = ADMIN_KEY, body, headers = {} } = {}) => {
    const all: Record<string, string> = { ...headers };
    if (key !== null) all.authorization = `Bearer ${key}`;
    if (body !== undefined && !Object.keys(all).some((name) => name.toLowerCase() === 'content-type')) all['content-type'] = 'application/json';
    const answer = await app.inject({
      method: method as 'GET',
      url,
      headers: all,
      payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    let parsed: unknown = answer.body;
    try {
      parsed = answer.body ? JSON.parse(answer.body) : null;
    } catch {
      /* not JSON: the raw text */
    }
    if (method === 'POST' && url === '/v1/webhook-endpoints' && answer.statusCode === 201) endpoints.push((parsed as { id: string }).id);
    return { status: answer.statusCode, body: parsed as any, headers: answer.headers };
  };

  return {
    app,
    config,
    sandboxes,
    gate,
    db,
    request,
    async newKey(scopes = ['payments:read', 'payments:write', 'payouts:read', 'payouts:write', 'webhooks:manage']) {
      const created = await request('POST', '/v1/api-keys', { body: { name: `test-${Date.now()}`, scopes } });
      if (created.status !== 201) throw new Error(`creating a key answered ${created.status}: ${JSON.stringify(created.body)}`);
      return created.body.key as string;
    },
    get<T>(token: unknown): T {
      return app.get(token as never) as T;
    },
    async close() {
      gate.releaseAll();
      await app.close();
      if (endpoints.length > 0) await db.query('UPDATE webhook_endpoints SET enabled = false WHERE id = ANY($1)', [endpoints]);
      await db.end();
      await sandboxes.close();
    },
  };
}

/** A gateway with a service key of its own (all scopes but admin), for a describe block's beforeAll. */
export async function startGatewayWithKey(options: InProcessOptions = {}): Promise<{ gw: InProcessGateway; key: string }> {
  const gw = await startInProcessGateway(options);
  return { gw, key: await gw.newKey() };
}
