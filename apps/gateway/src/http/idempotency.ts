import { createHash, randomUUID } from 'node:crypto';
import { HttpStatus, Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, RequestMethod, SetMetadata, Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, APP_CONFIG, AppConfig } from '@app/common';
import type { Principal } from '@app/auth';
import { IdempotencyRepository } from '@app/persistence';
import { CreatedResourceRecovery, runUnderIdempotencyKey } from '@app/lifecycle';
import { renderError } from './error-envelope';
import { requestScope } from './request-context';

const KEY = /^[\x21-\x7e]{1,255}$/;
const SHOWN_ONCE = 'idempotency:shown-once';
/** Says which fields of a replayed answer were left out because they hold a secret shown only once. */
export const SECRET_OMITTED_HEADER = 'Idempotent-Secret-Omitted';

/**
 * Marks fields of a route's answer as secrets shown once (`@ShownOnce('key')`): the stored answer an Idempotency-Key
 * replays never holds them. A replay answers them as null and names them in Idempotent-Secret-Omitted; the secret
 * itself exists only in the first answer (for a key, not even its hash is enough to show it again).
 */
export const ShownOnce = (...fields: string[]) => SetMetadata(SHOWN_ONCE, fields);

/** The answer as stored for replay: each shown-once field present but null. */
export function withoutSecrets(body: unknown, fields: readonly string[]): unknown {
  if (fields.length === 0 || !body || typeof body !== 'object' || Array.isArray(body)) return body;
  const stored: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const field of fields) if (field in stored) stored[field] = null;
  return stored;
}
const PRUNE_EVERY_MS = 10 * 60_000;
/** The controller property each POST handler's wrapper reaches the runner through (injected by Nest). */
const RUNNER = 'idempotencyRunner';
/** Marks a handler wrapped by idempotentPostRoutes. */
const WRAPPED = Symbol('idempotent');

type Handler = ((...args: unknown[]) => unknown) & { [WRAPPED]?: true };

/** Whether a controller method runs under the Idempotency-Key protocol (idempotentPostRoutes wrapped it). */
export function isIdempotentHandler(handler: unknown): boolean {
  return typeof handler === 'function' && (handler as Handler)[WRAPPED] === true;
}

/**
 * Runs every POST handler of these controllers under the Idempotency-Key protocol (IdempotencyRunner), the only
 * requests it acts on. The handler itself is wrapped instead of adding a Nest interceptor: Nest runs a route that
 * has any interceptor through a chain of rxjs observables on every request, key or not (about 21 KB allocated per
 * create); the wrapper costs a header check when there is no key. Guards run before it, as before; so do the
 * pipes now, so a body that fails validation is answered 422 whatever its key and claims nothing (the interceptor
 * claimed the key first and gave it back). The wrapper keeps the handler's metadata (route, status code,
 * @ShownOnce, scopes). Call it before the module is compiled (GatewayModule.forRoot does); calling it again changes
 * nothing.
 */
export function idempotentPostRoutes(controllers: readonly Type[]): void {
  const scanner = new MetadataScanner();
  for (const controller of controllers) {
    const prototype = controller.prototype as Record<string, Handler>;
    let posts = 0;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      if (Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.POST || handler[WRAPPED]) continue;
      posts += 1;
      const wrapped: Handler = function (this: Record<string, IdempotencyRunner>, ...args: unknown[]) {
        const scope = requestScope();
        // Only the gateway's preHandler hook binds the scope; without it a key would be ignored, so nothing runs.
        if (!scope) throw new Error(`${controller.name}.${name} ran outside a request scope: its Idempotency-Key cannot be honoured`);
        return this[RUNNER].run(handler, scope.request, scope.reply, () => handler.apply(this, args));
      };
      for (const key of Reflect.getOwnMetadataKeys(handler)) Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, handler), wrapped);
      Object.defineProperty(wrapped, 'name', { value: handler.name });
      wrapped[WRAPPED] = true;
      prototype[name] = wrapped;
    }
    // Handlers already wrapped are skipped above, so a second call declares the runner no second time.
    if (posts > 0) Inject(IdempotencyRunner)(prototype, RUNNER);
  }
}

/** Errors that say the request had no effect: the key is given back so a retry with it runs again. */
function leftNoTrace(status: number, type: string): boolean {
  if (status === 500) return true; // our own failure, before or without any effect we could replay honestly
  if (status >= 400 && status < 500) return true;
  return type === 'provider_unavailable'; // connection refused or circuit open: nothing reached the provider
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** What makes two requests the same request for one Idempotency-Key: method, route and canonical body. */
export function requestFingerprint(method: string, route: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${route}\n${canonical(body)}`).digest('hex');
}

/**
 * Idempotency-Key on POST, with Stripe's semantics: the first response (status and body) is stored and replayed
 * with `Idempotent-Replayed: true`; the same key with another body is 422 `idempotency_key_reused`; while the first
 * request runs, 409 `idempotency_in_progress`. Keys are scoped to the API key and kept 24 hours. The claim is an
 * INSERT on a primary key, so it holds across gateway instances. Fields marked @ShownOnce are never stored.
 *
 * A running key is leased (IDEMPOTENCY_LEASE_MS) and renewed while its request runs. When the instance running it
 * dies, the retry takes the key over once the lease has passed and answers with what that instance created under
 * it (the lifecycle core links the resource to the key before calling the provider): the payment or payout, or
 * the unknown-outcome error naming it; only when nothing was created does the request run again. A key that names
 * a resource is never given back, so a failure after the provider acted cannot lead to a second create.
 */
@Injectable()
export class IdempotencyRunner implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Idempotency');
  private pruneTimer?: NodeJS.Timeout;

  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly recovery: CreatedResourceRecovery,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.pruneTimer = setInterval(() => {
      this.keys.prune().catch((error: Error) => this.logger.warn(`pruning idempotency keys failed: ${error.message}`));
    }, PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  /**
   * Runs `work`, the POST `handler` of this request, under the request's Idempotency-Key if it has one (and an API
   * key it is scoped to); without one, `work` runs as it is.
   */
  run(handler: Handler, request: FastifyRequest & { principal?: Principal }, reply: FastifyReply, work: () => unknown): unknown {
    const key = request.headers['idempotency-key'];
    if (key === undefined || !request.principal) return work();
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new ApiError(400, 'invalid_request', 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters');
    }
    return this.runUnderKey(handler, request, reply, request.principal.keyId, key, work);
  }

  private async runUnderKey(handler: Handler, request: FastifyRequest, reply: FastifyReply, owner: string, key: string, work: () => unknown): Promise<unknown> {
    const fingerprint = requestFingerprint(request.method, request.routeOptions?.url ?? request.url, request.body);
    const successStatus: number = Reflect.getMetadata(HTTP_CODE_METADATA, handler) ?? HttpStatus.CREATED;
    const shownOnce: string[] = Reflect.getMetadata(SHOWN_ONCE, handler) ?? [];

    const leaseMs = this.config.idempotencyLeaseMs;
    const token = randomUUID();
    const replay = (status: number, body: unknown) => {
      void reply.status(status).header('Idempotent-Replayed', 'true');
      return body;
    };
    /** Stores the answer for an error; the key is given back only when the request certainly had no effect. */
    const settleError = async (error: unknown) => {
      const rendered = renderError(error, String(request.id));
      const named = await this.keys.resourceOf(owner, key);
      if (!named && leftNoTrace(rendered.status, rendered.body.error.type)) await this.keys.release(owner, key, token);
      else await this.keys.complete(owner, key, token, rendered.status, rendered.body);
    };

    const claim = await this.keys.claim(owner, key, fingerprint, token, leaseMs);
    if (claim.kind === 'held') {
      const existing = claim.record;
      if (existing.fingerprint !== fingerprint) {
        throw new ApiError(422, 'invalid_request', 'idempotency_key_reused', 'This Idempotency-Key was used with a different request');
      }
      if (existing.state === 'running') {
        throw new ApiError(409, 'conflict', 'idempotency_in_progress', 'A request with this Idempotency-Key is still being processed', undefined, {
          'Retry-After': String(Math.ceil(leaseMs / 1000)),
        });
      }
      // An unknown outcome stored for a resource may be known by now: the retry answers with what it is now.
      if (existing.resourceId && (existing.responseStatus ?? 0) >= 500) {
        const recovered = await this.recovery.recover(existing.resourceId).catch(() => null);
        if (recovered) {
          await this.keys.complete(owner, key, null, successStatus, withoutSecrets(recovered, shownOnce));
          return replay(successStatus, recovered);
        }
      }
      if (shownOnce.length > 0 && (existing.responseStatus ?? 200) < 400) void reply.header(SECRET_OMITTED_HEADER, shownOnce.join(', '));
      return replay(existing.responseStatus ?? 200, withoutSecrets(existing.responseBody, shownOnce));
    }
    if (claim.kind === 'takeover' && claim.resourceId) {
      this.logger.warn(`Idempotency-Key of ${owner} taken over after its lease expired; answering with ${claim.resourceId}`);
      try {
        const recovered = await this.recovery.recover(claim.resourceId);
        if (recovered) {
          await this.keys.complete(owner, key, token, successStatus, withoutSecrets(recovered, shownOnce));
          return replay(successStatus, recovered);
        }
      } catch (error) {
        await settleError(error);
        throw error;
      }
      // Nothing was created under it: the request runs as if new.
    }
    const heartbeat = setInterval(() => {
      this.keys.renew(owner, key, token, leaseMs).catch((error: Error) => this.logger.warn(`renewing an Idempotency-Key lease failed: ${error.message}`));
    }, Math.max(100, Math.floor(leaseMs / 3)));
    heartbeat.unref();
    try {
      const result = await runUnderIdempotencyKey({ ownerId: owner, key }, async () => work());
      clearInterval(heartbeat);
      await this.keys.complete(owner, key, token, successStatus, withoutSecrets(result, shownOnce));
      return result;
    } catch (error) {
      clearInterval(heartbeat);
      await settleError(error);
      throw error;
    }
  }
}

