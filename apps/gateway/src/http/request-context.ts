import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The request being handled, for everything that runs on its behalf (bound by the gateway's preHandler hook). */
export interface RequestScope {
  /** The fields every log line written while handling it carries. */
  readonly logFields: { requestId: string };
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `next` (the rest of the request's handling) with this request as its scope. */
export function runInRequestScope(request: FastifyRequest, reply: FastifyReply, next: () => void): void {
  storage.run({ logFields: { requestId: String(request.id) }, request, reply }, next);
}

/** The request being handled here, if any. */
export function requestScope(): RequestScope | undefined {
  return storage.getStore();
}
