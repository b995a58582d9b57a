import { CallHandler, ExecutionContext, Inject, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { Observable } from 'rxjs';
import { ApiError, APP_CONFIG, AppConfig } from '@app/common';
import type { Principal } from '@app/auth';
import { REDIS } from '../health/redis.provider';
import { SharedRateLimiter } from './shared-rate-limiter';

/**
 * A fixed one-second window per API key, its budget in Redis so every gateway instance shares it (tokens drawn in
 * batches: see SharedRateLimiter for the bound). When Redis does not answer the request goes through: losing the
 * limiter for a moment is better than refusing every payment.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  private readonly logger = new Logger(RateLimitInterceptor.name);
  private lastWarning = 0;
  private readonly limiter: SharedRateLimiter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) redis: Redis,
  ) {
    this.limiter = new SharedRateLimiter(redis, `{${config.queuePrefix}}:ratelimit`, config.rateLimitPerSecond);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> | Promise<Observable<unknown>> {
    const principal = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>().principal;
    if (!principal || this.config.rateLimitPerSecond === 0) return next.handle();
    const admitted = this.limiter.take(principal.keyId);
    if (admitted === true) return next.handle();
    if (admitted === false) throw this.refusal();
    return admitted.then(
      (ok) => {
        if (!ok) throw this.refusal();
        return next.handle();
      },
      (error: Error) => {
        if (Date.now() - this.lastWarning > 10_000) {
          this.lastWarning = Date.now();
          this.logger.warn(`rate limiter unavailable, letting requests through: ${error.message}`);
        }
        return next.handle();
      },
    );
  }

  private refusal(): ApiError {
    const limit = this.config.rateLimitPerSecond;
    return new ApiError(429, 'rate_limited', 'rate_limited', `More than ${limit} requests per second for this API key`, undefined, { 'Retry-After': '1' });
  }
}
