import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/common';
import { queuePrefix } from '@app/outbox';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * A lease in Redis (SET NX PX) so periodic work runs on one worker at a time. It expires by itself when its holder
 * dies, and is released only by its holder (compare-and-delete), so a slow run cannot free a successor's lease.
 */
@Injectable()
export class RedisLock implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisLock.name);
  private readonly redis: Redis;
  private lastWarning = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    // Fail fast while Redis is down: callers decide what to do without the lock.
    this.redis = new Redis(config.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.redis.on('error', (error: Error) => {
      if (Date.now() - this.lastWarning > 10_000) {
        this.lastWarning = Date.now();
        this.logger.warn(`Redis unavailable: ${error.message}`);
      }
    });
  }

  private key(name: string): string {
    // Same hash tag as the queues, so the lock lives in their cluster slot.
    return `${queuePrefix(this.config.queuePrefix)}:lock:${name}`;
  }

  /** A token when the lease was taken, null when another process holds it; throws when Redis cannot be reached. */
  async acquire(name: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const result = await this.redis.set(this.key(name), token, 'PX', ttlMs, 'NX');
    return result === 'OK' ? token : null;
  }

  async release(name: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key(name), token).catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}
