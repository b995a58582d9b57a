import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { CreatePaymentInput, PaymentsClient } from '@app/client';
import { lastResponse } from './support/client';
import { call } from './support/http';
import { freePort } from './support/processes';
import { until } from './support/services';
import { ADMIN_KEY, startStack, Stack } from './support/stack';

const FLEXIQASH_WEBHOOK_SECRET = 'sandbox-flexiqash-webhook-secret';

const payment = (email = 'john@example.com'): CreatePaymentInput => ({
  amount: 12399,
  currency: 'USD',
  description: 'Membership',
  payer: { name: 'John Smith', email },
});

/**
 * @apidevtools/swagger-parser depends on an ES module, which Jest's CommonJS runtime cannot load, so it validates the
 * document in a plain Node process. Resolves to the validator's error message, or null when the document is valid.
 */
function validateOpenApi(doc: unknown): string | null {
  const script = `
    const SwaggerParser = require('@apidevtools/swagger-parser');
    let text = '';
    process.stdin.on('data', (chunk) => (text += chunk)).on('end', () =>
      SwaggerParser.validate(JSON.parse(text)).then(() => process.exit(0), (error) => { process.stderr.write(error.message); process.exit(1); }));`;
  const result = spawnSync(process.execPath, ['-e', script], { input: JSON.stringify(doc), encoding: 'utf8', cwd: __dirname, timeout: 30_000 });
  return result.status === 0 ? null : result.stderr || `validator exited with ${result.status}`;
}

/** The gateway's JSON log lines (start-up lines like "gateway listening on …" are plain text and skipped). */
function jsonLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// Most of what this file checks is outside /v1 (health, metrics, /admin/*, /docs, inbound webhooks), which the
// client does not cover: those calls are plain HTTP. The /v1 calls go through the client.
describe('operations (health, metrics, queue dashboard, OpenAPI, logs)', () => {
  let stack: Stack;
  let serviceKey: string;
  let service: PaymentsClient;

  beforeAll(async () => {
    stack = await startStack();
    serviceKey = await stack.newKey();
    service = stack.clientFor(serviceKey);
  });
  afterAll(async () => {
    await stack?.close();
  });

  describe('health', () => {
    it('is live, and ready with each dependency and every provider listed', async () => {
      // Plain HTTP: /health is outside /v1.
      expect((await call(stack.url, 'GET', '/health/live')).body).toEqual({ status: 'ok' });
      const ready = await call(stack.url, 'GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('ok');
      expect(ready.body.dependencies).toEqual({ postgres: { status: 'up' }, redis: { status: 'up' } });
      expect(ready.body.providers).toEqual([
        { name: 'flexiqash', configured: true, reachable: true, circuit: 'closed' },
        { name: 'flashpay', configured: true, reachable: true, circuit: 'closed' },
      ]);
    });

    it('answers 503 when Redis does not answer, and a provider being down does not fail readiness', async () => {
      const nowhere = await freePort();
      const other = await stack.startGateway({ REDIS_URL: `redis://127.0.0.1:${nowhere}`, FLASHPAY_BASE_URL: `http://127.0.0.1:${nowhere}` });
      // Plain HTTP: /health and /metrics are outside /v1.
      const ready = await call(other.url, 'GET', '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('unavailable');
      expect(ready.body.dependencies.postgres).toEqual({ status: 'up' });
      expect(ready.body.dependencies.redis.status).toBe('down');
      expect(ready.body.providers.find((p: { name: string }) => p.name === 'flashpay').reachable).toBe(false);

      // The scrape still works without Redis: the queue series are left out instead of failing it.
      const metrics = await call(other.url, 'GET', '/metrics', { key: ADMIN_KEY });
      expect(metrics.status).toBe(200);
      expect(metrics.text).not.toContain('paygw_queue_jobs{');
      expect(metrics.text).toContain('paygw_payments_total');
      await other.process.stop();
    });
  });

  describe('metrics', () => {
    it('needs the admin key and answers in the error envelope otherwise', async () => {
      // Plain HTTP: /metrics is outside /v1.
      const anonymous = await call(stack.url, 'GET', '/metrics');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error.type).toBe('authentication');
      const service = await call(stack.url, 'GET', '/metrics', { key: serviceKey });
      expect(service.status).toBe(403);
      expect(service.body.error.type).toBe('permission');
    });

    it('exposes requests by route template, provider calls, circuits, queue, deliveries, outbox lag and payments', async () => {
      await service.webhookEndpoints.create({ url: 'http://127.0.0.1:9/hook', events: ['*'] });
      expect(lastResponse(service).status).toBe(201);
      const created = await service.payments.create(payment());
      expect(lastResponse(service).status).toBe(201);
      await service.payments.get(created.id);
      expect(lastResponse(service).status).toBe(200);

      // Plain HTTP: /metrics is outside /v1.
      const scraped = await call(stack.url, 'GET', '/metrics', { key: ADMIN_KEY });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = scraped.text;
      expect(text).toMatch(/^paygw_http_request_duration_seconds_count\{method="GET",route="\/v1\/payments\/:id",status="200"\} [1-9]/m);
      expect(text).toMatch(/^paygw_http_request_duration_seconds_count\{method="POST",route="\/v1\/payments",status="201"\} [1-9]/m);
      expect(text).not.toContain(created.id);
      expect(text).toMatch(/^paygw_provider_calls_total\{provider="flexiqash",operation="\w+",outcome="ok"\} [1-9]/m);
      expect(text).toMatch(/^paygw_provider_call_duration_seconds_bucket\{le="[^"]+",provider="flexiqash"/m);
      expect(text).toMatch(/^paygw_provider_circuit_state\{provider="flexiqash"\} 0$/m);
      expect(text).toMatch(/^paygw_provider_circuit_state\{provider="flashpay"\} 0$/m);
      for (const state of ['waiting', 'active', 'delayed', 'failed']) {
        expect(text).toMatch(new RegExp(`^paygw_queue_jobs\\{queue="webhook-deliveries",state="${state}"\\} \\d+$`, 'm'));
      }
      // No worker runs in this stack, so the deliveries of payment.created stay pending.
      expect(text).toMatch(/^paygw_webhook_deliveries\{status="pending"\} [1-9]/m);
      expect(text).toMatch(/^paygw_outbox_lag_seconds \d+(\.\d+)?(e[-+]?\d+)?$/m);
      expect(text).toMatch(/^paygw_payments_total\{provider="flexiqash"\} [1-9]/m);
      expect(text).toMatch(/^process_cpu_seconds_total /m);
    });
  });

  describe('provider state and routing (admin)', () => {
    it('answers /admin/providers and /admin/routing for the admin key only', async () => {
      // Plain HTTP: /admin/* is outside /v1.
      const providers = await stack.api('GET', '/admin/providers');
      expect(providers.status).toBe(200);
      expect(providers.body.data.map((p: { name: string }) => p.name)).toEqual(['flexiqash', 'flashpay']);
      expect(providers.body.data[0]).toMatchObject({ circuit: 'closed', recent: { calls: expect.any(Number) } });
      expect((await stack.api('GET', '/admin/providers', undefined, serviceKey)).status).toBe(403);
      const routing = await stack.api('GET', '/admin/routing');
      expect(routing.status).toBe(200);
      expect(routing.body).toMatchObject({ defaultProvider: 'flexiqash', currencyRoutes: {} });
    });
  });

  describe('queue dashboard', () => {
    it('refuses without the admin key, in the error envelope', async () => {
      // Plain HTTP: the queue dashboard is outside /v1; its cookie and ?key= logins are browser requests.
      const anonymous = await call(stack.url, 'GET', '/admin/queues');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error).toMatchObject({ type: 'authentication', code: 'missing_api_key' });
      expect(anonymous.body.requestId).toBe(anonymous.headers.get('x-request-id'));
      expect((await call(stack.url, 'GET', '/admin/queues/api/queues', { key: serviceKey })).status).toBe(401);
      const forged = await fetch(`${stack.url}/admin/queues`, { headers: { cookie: `paygw_queues=9999999999.${'A'.repeat(43)}` } });
      expect(forged.status).toBe(401);
      const wrongKey = await fetch(`${stack.url}/admin/queues?key=not-the-admin-key`, { redirect: 'manual' });
      expect(wrongKey.status).toBe(401);
    });

    it('opens with the bearer admin key', async () => {
      // Plain HTTP: the queue dashboard is outside /v1.
      const page = await call(stack.url, 'GET', '/admin/queues', { key: ADMIN_KEY });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const api = await call(stack.url, 'GET', '/admin/queues/api/queues', { key: ADMIN_KEY });
      expect(api.status).toBe(200);
      expect(api.body.queues.map((q: { name: string }) => q.name)).toEqual(['webhook-deliveries']);
    });

    it('opens in a browser: ?key= once, then an HttpOnly SameSite=Strict cookie', async () => {
      // Plain HTTP: what a browser does with the queue dashboard.
      const login = await fetch(`${stack.url}/admin/queues?key=${encodeURIComponent(ADMIN_KEY)}`, { redirect: 'manual' });
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toBe('/admin/queues');
      const setCookie = login.headers.get('set-cookie')!;
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Strict/);
      expect(setCookie).toMatch(/Path=\/admin\/queues/);
      expect(setCookie).not.toContain(ADMIN_KEY);
      const cookie = setCookie.split(';')[0];
      const page = await fetch(`${stack.url}/admin/queues`, { headers: { cookie } });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<base href="/admin/queues/"');
      const script = /src="(static\/js\/main[^"]+)"/.exec(html)![1];
      expect((await fetch(`${stack.url}/admin/queues/${script}`, { headers: { cookie } })).status).toBe(200);
      expect((await fetch(`${stack.url}/admin/queues/api/queues`, { headers: { cookie } })).status).toBe(200);
    });
  });

  describe('OpenAPI', () => {
    it('serves the UI at /docs and the document at /docs-json without a key', async () => {
      // Plain HTTP: /docs is outside /v1.
      const ui = await fetch(`${stack.url}/docs`, { headers: { accept: 'text/html' } });
      expect(ui.status).toBe(200);
      expect(ui.headers.get('content-type')).toContain('text/html');
      expect(await ui.text()).toContain('swagger-ui');
      expect((await fetch(`${stack.url}/docs/swagger-ui-bundle.js`)).status).toBe(200);
      expect((await fetch(`${stack.url}/docs/swagger-ui-init.js`)).status).toBe(200);
    });

    it('is a valid OpenAPI 3 document with the bearer scheme and the error envelope', async () => {
      // Plain HTTP: /docs-json is outside /v1.
      const doc = (await call(stack.url, 'GET', '/docs-json')).body;
      expect(doc.openapi).toMatch(/^3\./);
      expect(validateOpenApi(doc)).toBeNull();
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(doc.components.schemas.ErrorEnvelope.required).toEqual(expect.arrayContaining(['error', 'requestId']));
      const create = doc.paths['/v1/payments'].post;
      expect(create.security).toEqual([{ bearer: [] }]);
      expect(create.responses['422'].content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorEnvelope');
      expect(create.responses['201'].content['application/json'].schema.$ref).toBe('#/components/schemas/Payment');
      expect(doc.paths['/health/ready'].get.security).toBeUndefined();
    });

    it('describes every route the gateway registers, and nothing else', async () => {
      // Plain HTTP: /docs-json and /admin/routes are outside /v1.
      const doc = (await call(stack.url, 'GET', '/docs-json')).body;
      const routes = await stack.api('GET', '/admin/routes');
      expect(routes.status).toBe(200);
      const served = new Set<string>(
        (routes.body.data as Array<{ method: string; url: string }>)
          .filter(({ method }) => method !== 'HEAD' && method !== 'OPTIONS')
          .filter(({ url }) => !/^\/docs($|[-/])/.test(url) && !/^\/admin\/queues($|\/)/.test(url))
          .map(({ method, url }) => `${method} ${url.replace(/:(\w+)/g, '{$1}')}`),
      );
      const documented = new Set<string>(
        Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
          Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
        ),
      );
      expect(served.size).toBeGreaterThan(30);
      expect([...served].filter((route) => !documented.has(route))).toEqual([]);
      expect([...documented].filter((route) => !served.has(route))).toEqual([]);
      for (const route of ['GET /metrics', 'GET /admin/providers', 'PUT /admin/routing', 'GET /health/ready', 'POST /webhooks/{provider}']) {
        expect(documented).toContain(route);
      }
      // The one inbound route names each provider that sends notifications (/webhooks/flexiqash, /webhooks/flashpay).
      const inbound = doc.paths['/webhooks/{provider}'].post;
      expect(inbound.parameters.find((p: { name: string }) => p.name === 'provider').schema.enum).toEqual(['flexiqash', 'flashpay']);
      expect(inbound.description).toContain('x-flexiqash-signature');
    });
  });

  describe('logs', () => {
    it('are JSON lines with the request id, route, status and duration, and carry no secret or payer e-mail', async () => {
      const requestId = `ops-log-${randomBytes(4).toString('hex')}`;
      const email = `payer.${randomBytes(4).toString('hex')}@example.com`;
      await service.payments.create(payment(email), { requestId });
      const created = lastResponse(service);
      expect(created.status).toBe(201);

      const newKey = await stack.client.apiKeys.create({ name: 'log test', scopes: ['payments:read'] });
      expect(lastResponse(stack.client).status).toBe(201);
      await stack.clientFor(newKey.key).payments.list({ limit: 1 });

      const endpoint = await service.webhookEndpoints.create({ url: 'http://127.0.0.1:9/hook', events: ['*'] });
      expect(endpoint.secret).toMatch(/^whsec_/);

      // Plain HTTP: the inbound provider webhook is outside /v1.
      const body = JSON.stringify({ paymentReference: `unknown-${requestId}` });
      const signature = `sha256=${createHmac('sha256', FLEXIQASH_WEBHOOK_SECRET).update(body).digest('hex')}`;
      const inbound = await call(stack.url, 'POST', '/webhooks/flexiqash', {
        rawBody: body,
        headers: { 'content-type': 'application/json', 'x-flexiqash-signature': signature, 'x-request-id': `${requestId}-wh` },
      });
      expect(inbound.status).toBe(200);
      const cookie = `session-${randomBytes(8).toString('hex')}`;
      await stack.clientFor(serviceKey, { headers: { cookie: `paygw=${cookie}` } }).providers.list();
      // Plain HTTP: the dashboard's browser login and /metrics are outside /v1.
      await fetch(`${stack.url}/admin/queues?key=${encodeURIComponent(ADMIN_KEY)}`, { redirect: 'manual' });
      // A wrong key is a secret too: someone may have mistyped the real one.
      const almost = `${ADMIN_KEY.slice(0, -1)}x`;
      expect((await call(stack.url, 'GET', '/metrics', { key: almost })).status).toBe(401);

      // The last request's line is written: everything before it is in the output too.
      const lastLogged = () =>
        jsonLines(stack.gateway.output()).some((entry) => entry.msg === 'request completed' && entry.route === '/metrics' && entry.status === 401);
      expect(await until(async () => lastLogged(), 5_000, 20)).toBe(true);
      const output = stack.gateway.output();
      for (const secret of [ADMIN_KEY, serviceKey, newKey.key, endpoint.secret, signature, signature.slice(7), FLEXIQASH_WEBHOOK_SECRET, email, cookie, almost]) {
        expect({ secret, leaked: output.includes(secret) }).toEqual({ secret, leaked: false });
      }

      const lines = jsonLines(output);
      const line = lines.find((entry) => entry.requestId === requestId && entry.msg === 'request completed');
      expect(line).toMatchObject({ level: 'info', service: 'gateway', method: 'POST', route: '/v1/payments', status: 201 });
      expect(typeof line!.durationMs).toBe('number');
      expect(created.headers.get('x-request-id')).toBe(requestId);
      // What a service logs while handling a request carries that request's id too.
      expect(lines).toContainEqual(
        expect.objectContaining({ requestId: `${requestId}-wh`, context: 'InboundWebhooksService', level: 'warn', msg: expect.stringContaining('unknown payment') }),
      );
      // Nest's own lines (start-up included) go through the same logger.
      expect(lines.some((entry) => entry.context === 'RouterExplorer' && entry.msg === 'Mapped {/v1/payments, POST} route')).toBe(true);
      expect(output).toContain('gateway listening on');
    });
  });
});
