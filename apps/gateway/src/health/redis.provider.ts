import { Inject, Injectable, Logger, OnApplicationShutdown, Provider } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/common';

export const REDIS = Symbol('REDIS');

/** One shared ioredis connection; it reconnects by itself after Redis restarts. */
export const redisProvider: Provider = {
  provide: REDIS,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => {
    const logger = new Logger('Redis');
    const redis = new Redis(config.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    let lastReport = 0;
    redis.on('error', (error: Error) => {
      // While Redis is down every reconnect attempt fails; one line every 10 s says so without flooding the log.
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        logger.warn(`Redis unavailable: ${error.message}`);
      }
    });
    return redis;
  },
};

@Injectable()
export class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}
