import { Controller, Get, Inject, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { Public } from '@app/auth';
import { ProviderRegistry } from '@app/providers';
import { REDIS } from './redis.provider';

async function probe(check: () => Promise<unknown>, timeoutMs = 1000): Promise<{ status: 'up' | 'down'; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

@Controller('health')
@Public()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly providers: ProviderRegistry,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Ready when Postgres and Redis answer; providers are listed but never fail readiness. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [postgres, redis] = await Promise.all([probe(() => this.dataSource.query('SELECT 1')), probe(() => this.redis.ping())]);
    const ok = postgres.status === 'up' && redis.status === 'up';
    reply.status(ok ? 200 : 503);
    return {
      status: ok ? 'ok' : 'unavailable',
      dependencies: { postgres, redis },
      providers: this.providers.all().map((provider) => ({ name: provider.name, configured: provider.configured })),
    };
  }
}
