import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where a sandbox's own links point: the address the caller used, so links work whatever port was picked. */
export function baseUrlOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Comparing digests keeps the check constant-time whatever the token lengths. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]), digest(token));
}

export function requireBearer(token: string, unauthorizedBody: object) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    if (bearerMatches(request.headers.authorization, token)) return undefined;
    return reply.code(401).send(unauthorizedBody);
  };
}

/**
 * Replaces fastify's JSON parser because the providers' own examples send `Content-Type: application/json`
 * with no body (FlexiQash's PATCH update, DELETE), which fastify would refuse with a 400.
 * `malformedJson: 'empty'` reads bad JSON as no input, as Laravel (FlexiQash) does, so validation answers 422.
 */
export function registerBodyParsers(app: FastifyInstance, malformedJson: 'empty' | 'reject'): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body).trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      if (malformedJson === 'empty') return done(null, {});
      done(Object.assign(new Error('Malformed JSON body'), { statusCode: 400 }), undefined);
    }
  });
  // The checkout buttons are plain HTML forms.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
}

/** Client errors keep fastify's message in the provider's `{message}` shape; anything else hides its details. */
export function registerErrorHandler(app: FastifyInstance, serverErrorBody: object): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'sandbox route failed');
    return reply.code(status).send(status === 500 ? serverErrorBody : { message: error.message });
  });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
