import { createHash } from 'node:crypto';
import { CallHandler, ExecutionContext, HttpStatus, Inject, Injectable, Logger, NestInterceptor, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, Observable } from 'rxjs';
import { ApiError, APP_CONFIG, AppConfig, openSecret, sealSecret, SecretsKeyring } from '@app/common';
import type { Principal } from '@app/auth';
import { IdempotencyRepository } from '@app/persistence';
import { renderError } from './error-envelope';

const KEY = /^[\x21-\x7e]{1,255}$/;
const PRUNE_EVERY_MS = 10 * 60_000;

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

/**
 * A stored answer never holds a secret in clear: a top-level `secret` (the `whsec_…` of a created endpoint) is kept
 * sealed under the secrets key, bound to the owner and the Idempotency-Key, and opened again for the replay.
 */
export function sealStoredAnswer(keyring: SecretsKeyring, answer: unknown, context: string): unknown {
  if (!answer || typeof answer !== 'object' || Array.isArray(answer) || typeof (answer as { secret?: unknown }).secret !== 'string') return answer;
  const { secret, ...rest } = answer as { secret: string };
  return { ...rest, sealedSecret: sealSecret(keyring, secret, context) };
}

export function openStoredAnswer(keyring: SecretsKeyring, stored: unknown, context: string): unknown {
  const sealed = (stored as { sealedSecret?: { keyId: string; sealed: string } } | null)?.sealedSecret;
  if (!sealed || typeof sealed !== 'object') return stored;
  const { sealedSecret: _, ...rest } = stored as Record<string, unknown>;
  return { ...rest, secret: openSecret(keyring, sealed, context) };
}

/**
 * Idempotency-Key on POST, with Stripe's semantics: the first response (status and body) is stored and replayed
 * with `Idempotent-Replayed: true`; the same key with another body is 422 `idempotency_key_reused`; while the first
 * request runs, 409 `idempotency_in_progress`. Keys are scoped to the API key and kept 24 hours. The claim is an
 * INSERT on a primary key, so it holds across gateway instances.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(IdempotencyInterceptor.name);
  private pruneTimer?: NodeJS.Timeout;

  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly reflector: Reflector,
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

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { principal?: Principal }>();
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || key === undefined || !request.principal) return next.handle();
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new ApiError(400, 'invalid_request', 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters');
    }
    const reply = http.getResponse<FastifyReply>();
    const owner = request.principal.keyId;
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.routeOptions?.url ?? request.url}\n${canonical(request.body)}`)
      .digest('hex');
    const successStatus = this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ?? HttpStatus.CREATED;

    return from(
      (async () => {
        const existing = await this.keys.claim(owner, key, fingerprint);
        if (existing) {
          if (existing.fingerprint !== fingerprint) {
            throw new ApiError(422, 'invalid_request', 'idempotency_key_reused', 'This Idempotency-Key was used with a different request');
          }
          if (existing.state === 'running') {
            throw new ApiError(409, 'conflict', 'idempotency_in_progress', 'A request with this Idempotency-Key is still being processed');
          }
          void reply.status(existing.responseStatus ?? 200).header('Idempotent-Replayed', 'true');
          return openStoredAnswer(this.config.secrets, existing.responseBody, `idempotency_keys:${owner}:${key}`);
        }
        try {
          const result = await new Promise<unknown>((resolve, reject) => next.handle().subscribe({ next: resolve, error: reject }));
          await this.keys.complete(owner, key, successStatus, sealStoredAnswer(this.config.secrets, result, `idempotency_keys:${owner}:${key}`));
          return result;
        } catch (error) {
          const rendered = renderError(error, String(request.id));
          if (leftNoTrace(rendered.status, rendered.body.error.type)) await this.keys.release(owner, key);
          else await this.keys.complete(owner, key, rendered.status, rendered.body);
          throw error;
        }
      })(),
    );
  }
}

