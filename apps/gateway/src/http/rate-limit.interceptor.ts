import { CallHandler, ExecutionContext, Inject, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { Observable } from 'rxjs';
import { ApiError, APP_CONFIG, AppConfig } from '@app/common';
import type { Principal } from '@app/auth';
import { REDIS } from '../health/redis.provider';

/**
 * A fixed one-second window per API key, counted in Redis so every gateway instance shares it. When Redis does
 * not answer the request goes through: losing the limiter for a moment is better than refusing every payment.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  private readonly logger = new Logger(RateLimitInterceptor.name);
  private lastWarning = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const principal = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>().principal;
    const limit = this.config.rateLimitPerSecond;
    if (!principal || limit === 0) return next.handle();
    const second = Math.floor(Date.now() / 1000);
    const key = `{${this.config.queuePrefix}}:ratelimit:${principal.keyId}:${second}`;
    let count: number;
    try {
      const [[, incremented]] = (await this.redis.multi().incr(key).expire(key, 2).exec()) as [[Error | null, number]];
      count = incremented;
    } catch (error) {
      if (Date.now() - this.lastWarning > 10_000) {
        this.lastWarning = Date.now();
        this.logger.warn(`rate limiter unavailable, letting requests through: ${(error as Error).message}`);
      }
      return next.handle();
    }
    if (count > limit) {
      throw new ApiError(429, 'rate_limited', 'rate_limited', `More than ${limit} requests per second for this API key`, undefined, {
        'Retry-After': '1',
      });
    }
    return next.handle();
  }
}
