import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { ApiError, APP_CONFIG, AppConfig } from '@app/common';
import { ApiKeyGuard, type Principal } from '@app/auth';
import { REDIS } from '../health/redis.provider';
import { SharedRateLimiter } from './shared-rate-limiter';

/**
 * The gateway's one global guard, in this order: the API key and its scopes (ApiKeyGuard), then the rate limit.
 * Both run before the handler, so a refused request never claims an Idempotency-Key.
 *
 * The rate limit is a fixed one-second window per API key, its budget in Redis so every gateway instance shares
 * it (tokens drawn in batches: see SharedRateLimiter for the bound). When Redis does not answer the request goes
 * through: losing the limiter for a moment is better than refusing every payment.
 */
@Injectable()
export class RequestGuard implements CanActivate {
  private readonly logger = new Logger('RateLimit');
  private lastWarning = 0;
  private readonly limiter: SharedRateLimiter;

  constructor(
    private readonly auth: ApiKeyGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) redis: Redis,
  ) {
    this.limiter = new SharedRateLimiter(redis, `{${config.queuePrefix}}:ratelimit`, config.rateLimitPerSecond);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.auth.canActivate(context);
    const principal = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>().principal;
    if (!principal || this.config.rateLimitPerSecond === 0) return true;
    let admitted = this.limiter.take(principal.keyId);
    if (typeof admitted !== 'boolean') {
      try {
        admitted = await admitted;
      } catch (error) {
        if (Date.now() - this.lastWarning > 10_000) {
          this.lastWarning = Date.now();
          this.logger.warn(`rate limiter unavailable, letting requests through: ${(error as Error).message}`);
        }
        return true;
      }
    }
    if (!admitted) {
      const limit = this.config.rateLimitPerSecond;
      throw new ApiError(429, 'rate_limited', 'rate_limited', `More than ${limit} requests per second for this API key`, undefined, { 'Retry-After': '1' });
    }
    return true;
  }
}
