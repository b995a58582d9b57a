import { randomUUID } from 'node:crypto';
import { DynamicModule, LogLevel, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import { ApiError, AppConfig, configuredSecrets, createLogger, fixedFieldsLogger, lazyChildLogger, PinoNestLogger, sanitizeUrl } from '@app/common';
import { DeliveryRelay } from '@app/outbox';
import { GatewayModule } from './gateway.module';
import { AllExceptionsFilter } from './http/all-exceptions.filter';
import { checkJsonLimits } from './http/json-limits';
import { requestScope, runInRequestScope } from './http/request-context';
import { BodyShapePipe, createValidationPipe, unstorableText } from './http/validation';
import { MetricsService } from './ops/metrics.service';
import { setupOpenApi } from './ops/openapi';
import { mountQueueDashboard } from './ops/queue-dashboard';
import { RouteCatalog } from './ops/route-catalog';

export const BODY_LIMIT_BYTES = 64 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Makes the Nest application from the gateway's root module; NestFactory.create unless a test composes it. */
export type GatewayAppFactory = (module: DynamicModule, adapter: FastifyAdapter, options: NestApplicationOptions) => Promise<NestFastifyApplication>;

export interface GatewayAppOptions {
  /** Nest's own log levels; false silences Nest. Default: Nest logs through the process's pino logger. */
  logLevels?: LogLevel[] | false;
  /**
   * The in-process tests build the module with @nestjs/testing (to swap a provider for a double) and hand the
   * result back here, so the application they test is configured exactly as the one main.ts serves.
   */
  factory?: GatewayAppFactory;
  /** The pino level of the process's logger (default info); the in-process tests use silent. */
  logLevel?: string;
}

/** Builds the gateway's HTTP application; main.ts and the in-process tests both build it through here. */
export async function createGatewayApp(config: AppConfig, options: GatewayAppOptions = {}): Promise<NestFastifyApplication> {
  const { logLevels, factory = (module, adapter, appOptions) => NestFactory.create<NestFastifyApplication>(module, adapter, appOptions) } = options;
  const logger = createLogger('gateway', configuredSecrets(config), options.logLevel ?? config.logLevel, config.redact.headers);
  const { requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs } = config.http;
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // A client has requestTimeoutMs for the whole request (headers and body) and headersTimeoutMs for the headers;
    // then Node answers 408 and closes the socket, so a client trickling bytes cannot hold a socket for good.
    // Node enforces both on a sweep every connectionsCheckingInterval (30 s by default: slow headers were cut after
    // 60-90 s): a second at most here, or a tenth of the headers' allowance when that is shorter.
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: headersTimeoutMs,
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeoutMs / 10))),
    },
    // Fastify's request logger is a child of this one bound to `requestId` (fastify's request.id, which honours
    // X-Request-Id). Its own per-request lines are off: the onResponse hook below writes one line per request.
    loggerInstance: logger,
    // request.log is made when first written to, not for every request.
    childLoggerFactory: lazyChildLogger as never,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // A caller's X-Request-Id is kept when it is sane, so one id follows a request across services.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // While closing: new requests get 503, idle keep-alive sockets are closed, requests in flight finish.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const routes = new RouteCatalog();
  routes.attach(adapter.getInstance());
  const app = await factory(GatewayModule.forRoot(config, { routes }), adapter, {
    // JSON lines from the first one on; a line written while a request is handled carries its requestId.
    logger: logLevels ?? new PinoNestLogger(logger, () => requestScope()?.logFields),
    abortOnError: false,
    // Inbound provider webhooks are verified over the exact bytes received.
    rawBody: true,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', String(request.id));
    done();
  });
  // The request's scope: whatever Nest logs while handling it carries its requestId, and its POST handlers read the
  // Idempotency-Key from it (idempotency.ts). Bound here, after the body is read: a context bound earlier is lost
  // across the wait for the body's bytes.
  fastify.addHook('preHandler', (request, reply, done) => runInRequestScope(request, reply, done));
  const metrics = app.get(MetricsService);
  // Its fields are fixed and hold no secret (the URL sanitized), and the line is scrubbed like every other.
  const requestLines = fixedFieldsLogger(logger, 'gateway');
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions?.url;
    metrics.observeHttp(request.method, route, reply.statusCode, reply.elapsedTime);
    // One line per request; bodies and headers are never logged. Health probes only at debug level.
    const level = reply.statusCode >= 500 ? 'error' : route?.startsWith('/health/') && reply.statusCode < 400 ? 'debug' : 'info';
    requestLines[level](
      {
        requestId: request.id,
        method: request.method,
        route: route ?? null,
        url: sanitizeUrl(request.url),
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request completed',
    );
    done();
  });
  mountQueueDashboard(fastify, app.get(DeliveryRelay).queue, config);
  setupOpenApi(app);
  // JSON bodies must be valid UTF-8: a decoder that replaced bad bytes would store text the client never sent.
  const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
    let text: string;
    try {
      text = strictUtf8.decode(body);
    } catch {
      done(new ApiError(400, 'invalid_request', 'invalid_utf8', 'The body is not valid UTF-8'), undefined);
      return;
    }
    // Before JSON.parse: everything after it (idempotency fingerprint, validation) walks the value recursively.
    const problem = checkJsonLimits(text);
    if (problem) {
      done(new ApiError(400, 'invalid_request', problem.code, problem.message), undefined);
      return;
    }
    // Text Postgres cannot store (a lone surrogate such as "\ud800", NUL) is refused here, before the guards and
    // handlers run: nothing is claimed, written or sent to a provider for such a request.
    parseJson(request as Parameters<typeof parseJson>[0], text, (error: Error | null, value?: unknown) => {
      const unstorable = error ? null : unstorableText(value);
      if (unstorable) done(ApiError.invalid(unstorable.message, [unstorable], 'unstorable_text'), undefined);
      else done(error, value);
    });
  });
  // Every route that takes a body takes JSON: any other type (a form, text/plain) is 415 rather than parsed into
  // something validation then refuses in baffling terms. Fastify's own text/plain parser goes; this catch-all
  // also keeps Nest from adding its form parser. An empty body is no body, whatever its declared type.
  fastify.removeContentTypeParser('text/plain');
  app.useBodyParser('*', { bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) => {
    if ((body as Buffer).length === 0) done(null, undefined);
    else done(new ApiError(415, 'invalid_request', 'unsupported_media_type', 'The body must be JSON (Content-Type: application/json)'), undefined);
  });
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(new BodyShapePipe(), createValidationPipe());
  return app;
}
