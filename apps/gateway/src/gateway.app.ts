import { randomUUID } from 'node:crypto';
import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiError, AppConfig } from '@app/common';
import { GatewayModule } from './gateway.module';
import { AllExceptionsFilter } from './http/all-exceptions.filter';
import { BodyShapePipe, createValidationPipe } from './http/validation';

export const BODY_LIMIT_BYTES = 64 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the gateway's HTTP application; main.ts and the end-to-end tests both start it through here. */
export async function createGatewayApp(config: AppConfig, logLevels?: LogLevel[] | false): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // A caller's X-Request-Id is kept when it is sane, so one id follows a request across services.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config), adapter, {
    logger: logLevels ?? ['log', 'warn', 'error'],
    abortOnError: false,
    // Inbound provider webhooks are verified over the exact bytes received.
    rawBody: true,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', String(request.id));
  });
  // JSON bodies must be valid UTF-8: a decoder that replaced bad bytes would store text the client never sent.
  const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
    try {
      strictUtf8.decode(body);
    } catch {
      done(new ApiError(400, 'invalid_request', 'invalid_utf8', 'The body is not valid UTF-8'), undefined);
      return;
    }
    parseJson(request as Parameters<typeof parseJson>[0], body.toString('utf8'), done);
  });
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(new BodyShapePipe(), createValidationPipe());
  app.enableShutdownHooks();
  return app;
}
