import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '@app/auth';
import { ProviderRegistry } from '@app/providers';
import { LivenessSchema, ReadinessSchema } from '../http/openapi/admin.schema';
import { ProviderReachability } from './provider-reachability';
import { RedisHealthIndicator } from './redis.health';

const CHECK_TIMEOUT_MS = 1000;

@ApiTags('operations')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly postgres: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly reachability: ProviderReachability,
    private readonly providers: ProviderRegistry,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process runs (no auth)' })
  @ApiOkResponse({ type: LivenessSchema })
  live() {
    return { status: 'ok' };
  }

  /** Ready when Postgres and Redis answer; providers are listed but never fail readiness. */
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: 200 when Postgres and Redis answer, else 503; providers are listed, never fail it (no auth)' })
  @ApiOkResponse({ type: ReadinessSchema })
  @ApiServiceUnavailableResponse({ type: ReadinessSchema, description: 'Postgres or Redis does not answer' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const [result, providers] = await Promise.all([this.checkDependencies(), this.providerStates()]);
    const dependency = (key: 'postgres' | 'redis') => {
      const detail = result.details[key];
      return detail?.status === 'up' ? { status: 'up' } : { status: 'down', error: String(detail?.message ?? 'not checked') };
    };
    const ok = result.status === 'ok';
    reply.status(ok ? 200 : 503);
    return {
      status: ok ? 'ok' : 'unavailable',
      dependencies: { postgres: dependency('postgres'), redis: dependency('redis') },
      responseTimeMs: Object.fromEntries(Object.entries(result.details).map(([key, detail]) => [key, detail.responseTime ?? null])),
      providers,
    };
  }

  /** Terminus answers a failed check by throwing 503 with the same result; both become one shape here. */
  private async checkDependencies(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.postgres.pingCheck('postgres').withTimeout(CHECK_TIMEOUT_MS),
        () => this.redis.ping('redis', CHECK_TIMEOUT_MS),
      ]);
    } catch (error) {
      if (error instanceof ServiceUnavailableException) return error.getResponse() as HealthCheckResult;
      throw error;
    }
  }

  private providerStates() {
    return Promise.all(
      this.providers.all().map(async (provider) => ({
        name: provider.name,
        configured: provider.configured,
        reachable: await this.reachability.reachable(provider.name),
        circuit: provider.health().circuit,
      })),
    );
  }
}
